"""Held-out set 4: Chinese names and places of the shapes the rules missed in November 2026, in other
instances, and everyday talk made of the same words.

The shapes: a name whose last character jieba glues to the verb or particle after it (小陈/说 cut 小/陈说,
李明/说 cut 李/明说), 小/老 + surname after 跟, districts and sub-districts whose names are common words
(天心区, 天生街道), three-character names (驷马桥街道), names that start with a direction (下城区) or a
surname (高淳区), and Taiwanese townships jieba cuts across their unit (冬/山鄉). The everyday sentences
hold the words those names look like (明说, 小说, 说明书, 区别, 街道办, 镇上, 老人).

Written and measured once before any rule changed, then once after, never used to tune a rule. Of 62 names
and places, before: 42 found whole, 4 in part, 16 missed; after: 48 whole, 2 in part, 12 missed (49 and 11 since 2026-11-28's district list, built from jieba's
dictionary after the 下关区 miss here was seen). Everyday
talk: one false alarm before and after (林子里). What the rules still miss is a strict xfail with the
reason, so a fix shows.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


def _gap(row: tuple, reason: str):
    return pytest.param(*row, marks=pytest.mark.xfail(strict=True, reason=reason))


# (sentence, people, places): what is found as PERSON (the surname alone after 小/老 or before a title, as
# the title rules replace it) and as PLACE.
NAMES_SET_4 = [
    ("小吴说了好几遍，让我们别担心。", ["吴"], []),
    ("小杨说她明天不来了。", ["杨"], []),
    ("老孙说得对，这事得慢慢来。", ["孙"], []),
    ("小冯说过这件事。", ["冯"], []),
    ("老何说他年轻时当过兵。", ["何"], []),
    ("王芳说她夜班太累了。", ["王芳"], []),
    ("刘强说了实话。", ["刘强"], []),
    ("张伟说要辞职，我们都劝他。", ["张伟"], []),
    ("陈静说过她家里有困难。", ["陈静"], []),
    ("周杰说完就走了。", ["周杰"], []),
    ("赵敏说了一句就挂了电话。", ["赵敏"], []),
    ("黄磊明白这个道理。", ["黄磊"], []),
    _gap(("我跟小马很熟，她人很好。", ["马"], []), "小马 (pony) is a stop word"),
    ("她跟小谢关系一直不错。", ["谢"], []),
    ("我跟老胡很熟。", ["胡"], []),
    ("小梁说了以后，大家都笑了。", ["梁"], []),
    ("郑丽说她想换个科室。", ["郑丽"], []),
    ("孙浩说明天再来复诊。", ["孙浩"], []),
    ("我和小宋说好了周末一起去。", ["宋"], []),
    ("杨帆说过要去进修。", ["杨帆"], []),
]

PLACES_SET_4 = [
    ("我姨妈在岳麓区桃子湖路开了家小卖部。", [], ["岳麓区", "桃子湖路"]),
    ("他家住在雨花区东塘街道。", [], ["雨花区", "东塘街道"]),
    ("她在玄武区孝陵卫街道做社工。", [], ["玄武区", "孝陵卫街道"]),
    ("我们去过和平街道的养老院。", [], ["和平街道"]),
    _gap(("他在光明街道当网格员。", [], ["光明街道"]), "a sub-district named by a common word, alone (no place beside it to show an address): 光明/n"),
    _gap(("我外公住在幸福街道。", [], ["幸福街道"]), "a sub-district named by a common word, alone (no place beside it to show an address): 幸福/a"),
    _gap(("病人从团结街道转过来的。", [], ["团结街道"]), "a sub-district named by a common word, alone (no place beside it to show an address): 团结/a"),
    _gap(("她在牛市口街道住了二十年。", [], ["牛市口街道"]), "jieba cuts 牛市/口/q: a classifier, alone"),
    _gap(("我们在小龙坎街道做过入户调查。", [], ["小龙坎街道"]), "小龙/nr 坎: 龙 is taken as 小 + surname"),
    _gap(("他老家是五里墩街道的。", [], ["五里墩街道"]), "jieba cuts 五里/m 墩/v: a numeral and a verb"),
    ("她在上城区湖滨街道上班。", [], ["上城区", "湖滨街道"]),
    ("我小时候住在下关区。", [], ["下关区"]),
    _gap(("我们搬到了东城区和平里街道。", [], ["东城区", "和平里街道"]), "和平/nz 里/f: 里 is a direction word"),
    ("他在江宁区秣陵街道开诊所。", [], ["江宁区", "秣陵街道"]),
    _gap(("她是黄埔区长洲街道的居民。", [], ["黄埔区", "长洲街道"]), "jieba cuts 黄埔/区长/洲: 区长 (district head)"),
    ("我爸在金水区文化路上班。", [], ["金水区", "文化路"]),
    ("病人住在杨浦区五角场街道。", [], ["杨浦区", "五角场街道"]),
    ("我們以前住在苗栗縣南庄鄉。", [], ["苗栗縣", "南庄鄉"]),
    ("阿公在南投縣竹山鎮種茶。", [], ["南投縣", "竹山鎮"]),
    _gap(("她是宜蘭縣五結鄉的人。", [], ["宜蘭縣", "五結鄉"]), "jieba cuts 五/m 結鄉: a numeral starts the name"),
    ("我外婆住在南投縣鹿谷鄉。", [], ["南投縣", "鹿谷鄉"]),
    ("他在姑苏区平江路开了间茶馆。", [], ["姑苏区", "平江路"]),
    ("我在吴中区木渎镇长大。", [], ["吴中区", "木渎镇"]),
    _gap(("他们家在开福区四方坪街道。", [], ["开福区", "四方坪街道"]), "四方/m: jieba reads a numeral"),
    _gap(("我舅舅在芙蓉区定王台街道开店。", [], ["芙蓉区", "定王台街道"]), "定王/nrt 台/q: 台 read as a classifier"),
]

# Everyday talk made of the words the names and places above look like: nothing is found.
EVERYDAY_SET_4 = [
    "我明说了吧，这个方案不行。", "他明说不想去，我们也没办法。", "他在看小说。", "这本小说写得很好。",
    "说明书上写着一天三次。", "这两种药有什么区别？", "有事去街道办开证明。", "镇上只有一家药店。",
    "老人家身体还挺硬朗。", "我明白你的意思。", "你把话说明白点。", "他说明天再来。",
    "老师说这孩子很聪明。", "她小声说了句谢谢。", "他老是说自己没事。", "小心点，地上滑。",
    "小时候我们家很穷。", "我们跟老人聊了很久。", "她跟小孩说话很有耐心。", "老百姓说的都是实话。",
    "我马上就来。", "他常说身体是本钱。", "我们向来不管这些。", "于是我就辞职了。",
    "他高中就出去打工了。", "周末我一般在家。", "白天上班，晚上照顾老人。", "明年再说吧。",
    "我们小区的老人很多。", "村里的老人都说他好。", "这件事说来话长。", "他说话很直接。",
    "她的话说得很清楚。", "我跟你说实话。", "医生说了很多注意事项。", "这个说法不太对。",
    "老伴去年走了。", "我们老家在农村。", "小孩子不懂事。", "他是个老实人。",
    "我们街道的志愿者很多。", "这个区的医疗资源不够。", "城区和郊区差别很大。", "她在街道工作了很多年。",
    "我们镇的卫生院很小。", "这个乡的年轻人都走了。", "我们区里开过会了。", "他在开发区上班。",
    "街道办事处的人来过。", "小镇上的生活很安静。", "老城区的房子都旧了。", "山区的路不好走。",
    "我们一路走过来不容易。", "他们明说了不要礼物。", "小说里的情节很感人。", "这一点我要说明一下。",
    "陈旧的观念要改一改。", "他高兴得说不出话来。", "黄昏的时候我们去散步。", "林子里有很多鸟。",
    "他们家很有钱。", "我们跟社区的关系很好。", "和平年代也有很多困难。", "光明的前途在等着我们。",
    "幸福是靠自己争取的。", "团结就是力量。", "我们要和邻居搞好关系。", "這本小說我看過。",
    "我明說了吧，沒有錢。", "老人們都很關心這件事。",
]


def _people_and_places(deid: Deidentifier, text: str) -> tuple[list[str], list[str]]:
    return sorted(found(deid, text, "PERSON")), sorted(found(deid, text, "PLACE"))


@pytest.mark.parametrize(("text", "people", "places"), NAMES_SET_4 + PLACES_SET_4)
def test_held_out_4_names_and_places_are_found_whole(deid, text, people, places):
    assert _people_and_places(deid, text) == (sorted(people), sorted(places))


_FALSE_ALARMS_4 = {"林子里有很多鸟。": "jieba tags 林子里 nr (surname 林 + 子里); taken so before the change too"}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(text, marks=pytest.mark.xfail(strict=True, reason=_FALSE_ALARMS_4[text]))
        if text in _FALSE_ALARMS_4
        else text
        for text in EVERYDAY_SET_4
    ],
)
def test_held_out_4_everyday_talk_names_no_one(deid, text):
    assert [f.text for f in deid.find(text, "zh") if f.kind in {"PERSON", "PLACE", "ORG"}] == []
