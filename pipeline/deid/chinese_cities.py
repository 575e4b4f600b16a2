"""China's prefecture-level cities by name (长沙, 合肥, 信阳, 拉萨…), wherever jieba does not tag them as places:
我是长沙人 (长沙人/n), 河南信阳人 (信阳/n), 湖南岳阳人 (湖/南岳/阳人), 在合肥工作 (合肥/n), 从大连搬来的.

Measured before this list, in four frames (我是X人, 我在X工作了十年, 我老家是X的, 我们是从X搬来的), 75 of the
334 cities were missed in every frame and 108 as "X人". The names are the country's 334 prefecture-level
divisions in their short form (市, 地区, 盟 and an autonomous prefecture's peoples dropped: 甘孜, 延边), from
the adcodes table of cpca 0.5.5 (MIT licence, (c) 2018 QinYuan Du): general knowledge, not tuned to any data.

A city name is a place where jieba's cut starts a word with it (or a province comes right before it: 湖南岳阳)
and ends one with it, or 人 or 市 follows it (长沙人, 岳阳市); so 哈密瓜, 和田玉, 三明治, 四平八稳 stay words.
Names that are everyday words too (日照 sunshine, 开封 to unseal, 来宾 guests, 白银 silver, 安康 well-being,
阿里…) need a province before them, 市 after them, or "X人" after 是 (我是日照人): 日照充足 and 开封后冷藏 stay.
"""

from __future__ import annotations

import re

from qualflow.pipeline.deid.chinese_tokens import Index
from qualflow.pipeline.deid.findings import Finding, make
from qualflow.pipeline.deid.lexicon import longest_first, with_traditional

CITIES = with_traditional(
    """
    七台河 三亚 三明 三沙 三门峡 上饶 东莞 东营 中卫 中山 临夏 临汾 
    临沂 临沧 丹东 丽水 丽江 乌兰察布 乌海 乌鲁木齐 乐山 九江 云浮 亳州 
    伊春 伊犁 佛山 佳木斯 保定 保山 信阳 儋州 克孜勒苏 克拉玛依 六安 
    六盘水 兰州 兴安 内江 凉山 包头 北海 十堰 南京 南充 南宁 南平 南昌 
    南通 南阳 博尔塔拉 厦门 双鸭山 台州 合肥 吉安 吉林 吐鲁番 吕梁 吴忠 
    周口 呼伦贝尔 呼和浩特 和田 咸宁 咸阳 哈密 哈尔滨 唐山 商丘 商洛 
    喀什 嘉兴 嘉峪关 四平 固原 塔城 大兴安岭 大同 大庆 大理 大连 天水 
    太原 威海 娄底 孝感 宁德 宁波 安庆 安康 安阳 安顺 定西 宜宾 宜昌 
    宜春 宝鸡 宣城 宿州 宿迁 山南 岳阳 崇左 巴中 巴彦淖尔 巴音郭楞 常州 
    常德 平凉 平顶山 广元 广安 广州 庆阳 廊坊 延安 延边 开封 张家口 
    张家界 张掖 徐州 德宏 德州 德阳 忻州 怀化 怒江 恩施 惠州 成都 扬州 
    承德 抚州 抚顺 拉萨 揭阳 攀枝花 文山 新乡 新余 无锡 日喀则 日照 
    昆明 昌吉 昌都 昭通 晋中 晋城 普洱 景德镇 曲靖 朔州 朝阳 本溪 来宾 
    杭州 松原 林芝 果洛 枣庄 柳州 株洲 桂林 梅州 梧州 楚雄 榆林 武威 
    武汉 毕节 永州 汉中 汕头 汕尾 江门 池州 沈阳 沧州 河池 河源 泉州 
    泰安 泰州 泸州 洛阳 济南 济宁 海东 海北 海南 海口 海西 淄博 淮北 
    淮南 淮安 深圳 清远 温州 渭南 湖州 湘潭 湘西 湛江 滁州 滨州 漯河 
    漳州 潍坊 潮州 濮阳 烟台 焦作 牡丹江 玉林 玉树 玉溪 珠海 甘南 甘孜 
    白城 白山 白银 百色 益阳 盐城 盘锦 眉山 石嘴山 石家庄 福州 秦皇岛 
    红河 绍兴 绥化 绵阳 聊城 肇庆 自贡 舟山 芜湖 苏州 茂名 荆州 荆门 
    莆田 莱芜 菏泽 萍乡 营口 葫芦岛 蚌埠 衡水 衡阳 衢州 襄阳 西双版纳 
    西宁 西安 许昌 贵港 贵阳 贺州 资阳 赣州 赤峰 辽源 辽阳 达州 运城 
    连云港 迪庆 通化 通辽 遂宁 遵义 邢台 那曲 邯郸 邵阳 郑州 郴州 
    鄂尔多斯 鄂州 酒泉 金华 金昌 钦州 铁岭 铜仁 铜川 铜陵 银川 锡林郭勒 
    锦州 镇江 长春 长沙 长治 阜新 阜阳 防城港 阳江 阳泉 阿克苏 阿勒泰 
    阿坝 阿拉善 阿里 陇南 随州 雅安 青岛 鞍山 韶关 马鞍山 驻马店 鸡西 
    鹤壁 鹤岗 鹰潭 黄冈 黄南 黄山 黄石 黑河 黔东南 黔南 黔西南 齐齐哈尔 
    龙岩
    """.split()
)
# Provinces and the like, as said before a city (湖南岳阳, 河南省信阳, 广西桂林).
PROVINCES = with_traditional(
    """
    北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 海南 四川 贵州
    云南 陕西 甘肃 青海 台湾 内蒙古 内蒙 广西 西藏 宁夏 新疆
    """.split()
)
# Cities whose names are everyday words or phrases as well (日照充足, 开封后, 来宾, 白银, 安康, 长治久安, 阿里巴巴,
# 夸下海口, 大庆 "a grand celebration", 中卫 "centre back", 普洱 and 玉溪 as tea and cigarettes…).
EVERYDAY_CITY_WORDS = with_traditional(
    """
    日照 开封 来宾 白银 安康 长治 阿里 海口 大同 大庆 恩施 平凉 清远 茂名 保定 包头 自贡 营口 遵义 怀化 玉树 攀枝花
    百色 河源 文山 新余 通化 海北 海南 海东 海西 山南 红河 中山 朝阳 兴安 三明 天水 酒泉 大理 中卫 黄石 吉安 泰安
    安顺 长春 东营 白城 白山 黑河 普洱 玉溪 丽水 四平 定西 南平 广安 宁德 承德 常德 吉林
    """.split()
)
_CITY = re.compile("|".join(map(re.escape, longest_first(CITIES))))
_PROVINCE_BEFORE = re.compile("(?:" + "|".join(map(re.escape, longest_first(PROVINCES))) + ")(?:省|自治区|市)?$")
_AFTER = ("人", "市")
_IS = with_traditional(["是", "都是", "也是"])


def city_findings(text: str, index: Index) -> list[Finding]:
    """Cities and the province right before them, as "jieba" findings: a list like jieba's dictionary, and a
    pattern's source would make jieba's longer places give way to them (郑州市 to 郑州, detector)."""
    found = []
    for m in _CITY.finditer(text):
        province = _PROVINCE_BEFORE.search(text[max(0, m.start() - 6) : m.start()])
        if _is_city(text, index, m.start(), m.end(), m.group(), province is not None):
            found.append(make(text, m.start(), m.end(), "PLACE", "jieba"))
            if province:  # 湖/南岳/阳人: jieba's 南岳 takes half the province; the province is found whole
                offset = m.start() - len(province.group())
                found.append(make(text, offset, offset + len(province.group()), "PLACE", "jieba"))
    return found


def _is_city(text: str, index: Index, start: int, end: int, name: str, province: bool) -> bool:
    after = text[end : end + 1]
    if name in EVERYDAY_CITY_WORDS:
        return province or after == "市" or (after == "人" and _after_is(index, start))
    starts_word = province or start in index.starts
    return starts_word and (end in index.ends or end in index.starts or after in _AFTER)


def _after_is(index: Index, start: int) -> bool:
    """是 right before: 我是日照人."""
    i = index.ends.get(start)
    return i is not None and index.tokens[i].word in _IS
