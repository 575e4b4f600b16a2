"""Chinese places and everyday talk written after the place rules were changed (2026-11-27), to check that
the rules are general: districts (区), towns and townships (镇, 乡), sub-districts (街道), villages (村) and
roads (路, 街, 大道), in Simplified and Traditional, and everyday sentences whose unit characters are
ordinary words (城区, 社区, 街道办, 路上, 一路, 大道理, 小镇生活, 区别, 地区).

Each set was measured once before any rule changed for it. Set 1 then served to tune the rules (石门/n 村,
呈贡/v 区, 建设/vn 乡, 世纪/n 大道, 镇政府), set 2 once more (老/院区, a false alarm; 中華/路上); set 3 was
never used to change anything until its misses 下城区, 驷马桥街道, 高淳区 and 冬山鄉 were named as gaps to fix
(places next to a place in an address, tests/test_deid_zh_address_chain.py; 天母西路 and 太湖源镇 came with
that fix unasked). What the rules still miss is a strict xfail with the reason, so a fix shows.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found, pseudonymised
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def _gap(text: str, names: list[str], reason: str):
    return pytest.param(text, names, marks=pytest.mark.xfail(strict=True, reason=reason))


_N_STEM = "jieba lists the district whole (n) after a common noun, like 仓库区 or 别墅区"
_ADJECTIVE_NAME = "the name is a common word jieba does not tag as a name"

PLACES_SET_1 = [
    ("我妈在天心区坡子街开了个早餐店。", ["天心区", "坡子街"]),
    ("他家住在余杭区良渚街道。", ["余杭区", "良渚街道"]),
    ("她小时候在龙泉驿区洛带镇长大。", ["龙泉驿区", "洛带镇"]),
    ("我们社工每周去一次石门村。", ["石门村"]),
    ("他在鼓楼区中山北路的医院上班。", ["鼓楼区", "中山北路"]),
    ("她住在北碚区天生街道。", ["北碚区", "天生街道"]),
    ("我們在大同區迪化街租了房子。", ["大同區", "迪化街"]),
    ("他阿公住在礁溪鄉。", ["礁溪鄉"]),
    ("我在台中市北屯區崇德路上班。", ["台中市", "北屯區", "崇德路"]),
    ("她老家是寧波市鄞州區的一個村子。", ["寧波市", "鄞州區"]),
    ("我每天开车经过人民大道。", ["人民大道"]),
    ("他们家在海珠区江南大道中。", ["海珠区", "江南大道"]),
    ("我们在黄陂区木兰乡做过调研。", ["黄陂区", "木兰乡"]),
    ("我爷爷住在周庄镇。", ["周庄镇"]),
    ("患者来自昌平区沙河镇王庄村。", ["昌平区", "沙河镇", "王庄村"]),
    ("她在浦东新区川沙镇住。", ["浦东新区", "川沙镇"]),
    ("我们从五华区翠湖街道搬到了呈贡区。", ["五华区", "翠湖街道", "呈贡区"]),
    ("診所在新竹市光復路二段。", ["新竹市", "光復路二段"]),
    ("他在江北区观音桥街道当社工。", ["江北区", "观音桥街道"]),
    ("我外公是从建设乡搬来的。", ["建设乡"]),
    ("我們家在桃園市中壢區中華路。", ["桃園市", "中壢區", "中華路"]),
    ("他在长沙县黄花镇开了个超市。", ["长沙县", "黄花镇"]),
    ("她在坂田街道的一家工厂做工。", ["坂田街道"]),
]

PLACES_SET_2 = [
    ("她每周六去城阳区夏庄街道的康复站。", ["城阳区", "夏庄街道"]),
    ("我老家在溧水区白马镇石头寨村。", ["溧水区", "白马镇", "石头寨村"]),
    ("他在雁塔区小寨东路开了家药店。", ["雁塔区", "小寨东路"]),
    ("我們住在屏東縣潮州鎮。", ["屏東縣", "潮州鎮"]),
    ("阿嬤在花蓮縣壽豐鄉種田。", ["花蓮縣", "壽豐鄉"]),
    ("他每天骑车经过青年大街。", ["青年大街"]),
    ("我在洪山区光谷大道上班。", ["洪山区", "光谷大道"]),
    ("她搬到了临平区南苑街道。", ["临平区", "南苑街道"]),
    _gap("我們家在三重區重新路附近。", ["三重區", "重新路"], "重新 (again) is an adverb; jieba cuts 三重/區"),
    _gap("他是从大冶市还地桥镇来的。", ["大冶市", "还地桥镇"], "jieba cuts 还/地桥/镇来: 还 is an adverb"),
    ("我外婆住在婺源县江湾镇汪口村。", ["婺源县", "江湾镇", "汪口村"]),
    _gap("社工站设在南湖区新兴街道。", ["南湖区", "新兴街道"], _ADJECTIVE_NAME + " (新兴/b, emerging)"),
    ("他在台南市永康區中華路上開診所。", ["台南市", "永康區", "中華路"]),
    ("病人住在松江区泗泾镇。", ["松江区", "泗泾镇"]),
    ("我每天走延安东路去医院。", ["延安东路"]),
    ("她在白云区太和镇的村里长大。", ["白云区", "太和镇"]),
    ("他家在高雄市鳳山區光遠路。", ["高雄市", "鳳山區", "光遠路"]),
    _gap("我们村叫黄泥塘村。", ["黄泥塘村"], "only 塘村 is found: jieba cuts 黄泥/塘村"),
    _gap("他在前进乡当过村医。", ["前进乡"], "前进 (advance) is a verb jieba's dictionary lists as no town"),
    _gap("她住在思明区莲前街道。", ["思明区", "莲前街道"], _N_STEM + "; 前 of 莲前 is a direction"),
]

PLACES_SET_3 = [
    ("下城区武林街道那边有个老年活动中心。", ["下城区", "武林街道"]),
    ("她在金牛区驷马桥街道做志愿者。", ["金牛区", "驷马桥街道"]),
    ("我每天从梅林路走到医院。", ["梅林路"]),
    _gap("他老家是新会区会城街道的。", ["新会区", "会城街道"], _N_STEM + "; 会城 is cut 会/城"),
    _gap("病人家住沙坪坝区磁器口街道。", ["沙坪坝区", "磁器口街道"], "a three-character name of dictionary words"),
    ("我們以前住在宜蘭縣冬山鄉。", ["宜蘭縣", "冬山鄉"]),
    ("她在臺北市士林區天母西路上班。", ["臺北市", "士林區", "天母西路"]),
    ("阿公住在彰化縣鹿港鎮。", ["彰化縣", "鹿港鎮"]),
    ("我外婆是高淳区桠溪镇的人。", ["高淳区", "桠溪镇"]),
    ("他们家在长江路和淮海路交界的地方。", ["长江路", "淮海路"]),
    ("我妹妹住在西湖区转塘街道。", ["西湖区", "转塘街道"]),
    ("他在临安区太湖源镇白沙村当村医。", ["临安区", "太湖源镇", "白沙村"]),
    ("我们医院在友谊大街上。", ["友谊大街"]),
    ("她从小在溪口镇长大。", ["溪口镇"]),
    ("她住在南京西路附近。", ["南京西路"]),
    ("我們診所在中壢區中山東路三段。", ["中壢區", "中山東路三段"]),
    ("他在滨海新区塘沽街道工作。", ["滨海新区", "塘沽街道"]),
]

EVERYDAY = [
    # Set 1
    "城区的房价比郊区高很多。", "我们社区有个老年活动中心。", "有事可以去街道办开证明。", "路上小心一点。",
    "一路上我都在想这件事。", "他就喜欢讲大道理。", "我很喜欢小镇生活。", "这两种方法有什么区别？",
    "这个地区的老人特别多。", "我们老家那边是山区。", "他在村委会上班。", "镇上的卫生院只有两个医生。",
    "乡下空气好。", "她每天走路上班。", "以后的路怎么走，我也不知道。", "他的想法跟我们不在一条道上。",
    "街上的人越来越少。", "这条街道很干净。", "市区停车太难了。", "我们区今年换了新的领导。",
    "县城的医院也挺好的。", "这是我们村的老传统。", "他在开发区的工厂上班。", "我们住的小区物业很差。",
    "这一路走来，家人一直支持我。", "他们搬到了新城区。", "医院的住院区在后面。", "病人可以在休息区等候。",
    "那段时间我天天往返城乡之间。", "老街坊都认识他。", "她说话总是绕弯路。", "大街小巷都在传这件事。",
    "我们这里属于边远地区。", "他想去大城市闯一闯。", "她是从乡镇医院转过来的。", "路过药店的时候帮我买点药。",
    "我在网络上看到的消息。", "全区的社工都来开会了。", "这个村子的年轻人都出去打工了。", "镇政府组织了一次义诊。",
    "这几个片区的情况不一样。", "他每天都去菜市场买菜。", "我們社區的志工很熱心。", "這條路上的路燈壞了。",
    "他從鄉下搬到市區。",
    # Set 2
    "这个区的医院床位很紧张。", "社区工作者每天都很忙。", "街道办的人来家里看过她。", "路上遇到了以前的同事。",
    "一路顺风。", "他总爱跟我讲大道理。", "她一直向往小镇生活。", "城里和乡下的区别很大。",
    "山区的孩子上学要走很远的路。", "我们镇的年轻人都去城里了。", "乡里乡亲的，互相帮一把。", "村干部挨家挨户通知。",
    "这条路走到头就是医院。", "走着走着就迷路了。", "他们在路口等我。", "我们这个街区比较安静。",
    "住院部在老院区。", "她每天在小区里散步。", "那是个偏僻的小村庄。", "他从县里调到市里工作。",
    "路费是单位报销的。", "这个城镇发展得很快。", "政府在这个地区建了新医院。", "疫情的时候我们是封控区。",
    "这位医生是全市有名的专家。", "她在路边摊吃了碗面。", "我们的思路不太一样。", "走到半路下起了雨。",
    "这段路坑坑洼洼的。", "他家住在村东头。", "我们区里组织了培训。", "大道至简。",
    "现在镇上也有大超市了。", "他说城区的学校更好。", "我們鄉下的老人都很長壽。", "這個社區的鄰居很友善。",
    "路上車很多，要小心。", "她在街道工作了十年。", "我們村裡只有一間診所。", "市中心的房租太贵了。",
    # Set 3
    "城区的医院人太多了。", "社区里来了新的全科医生。", "我去街道办问过了。", "路上注意安全。", "一路走好。",
    "道理我都懂，就是做不到。", "小镇上的日子过得很慢。", "男女之间的区别。", "这些地区的疫苗接种率很低。",
    "我们这儿的区长人挺好。", "乡镇的条件比城市差。", "村民们都来看热闹。", "走小路会快一点。", "他一路小跑过来。",
    "街坊邻居都帮了忙。", "我家楼下就是一条商业街。", "这种事在农村很常见。", "我们县城只有一个电影院。",
    "这是市里统一安排的。", "她在区医院住了一个星期。", "病人从急诊转到了隔离病区。", "路线我已经规划好了。",
    "他们是同一个村的。", "镇上的人都知道他。", "这一片都是老小区。", "他每天都去公园里走路。", "你先回去，路上慢点。",
    "这个道路太窄了。", "我们搬到了城郊。", "她说在大城市生活压力大。", "我們這區的老人很多。", "街道上的垃圾沒人清理。",
    "鄉鎮衛生院的醫生很辛苦。", "他去年考上了县里的公务员。", "我家离市区有半个小时。",
]
# Organisations, not places, taken in everyday talk: jieba tags 住院部 nt and reads 统一安排 as a name.
_ORG_FALSE_ALARMS = {"住院部在老院区。": "住院部/nt", "这是市里统一安排的。": "统一安排"}


@pytest.mark.parametrize(("text", "names"), PLACES_SET_1 + PLACES_SET_2 + PLACES_SET_3)
def test_held_out_places_are_found_whole(deid, text, names):
    assert sorted(found(deid, text, "PLACE")) == sorted(names)
    shown = pseudonymised(deid, text)
    assert not any(name in shown for name in names), shown


@pytest.mark.parametrize("text", EVERYDAY)
def test_held_out_everyday_talk_names_no_place(deid, text):
    assert found(deid, text, "PLACE") == []


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(text, marks=pytest.mark.xfail(strict=True, reason=_ORG_FALSE_ALARMS[text]))
        if text in _ORG_FALSE_ALARMS
        else text
        for text in EVERYDAY
    ],
)
def test_held_out_everyday_talk_stays_as_said(deid, text):
    assert pseudonymised(deid, text) == text
