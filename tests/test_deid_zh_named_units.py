"""Chinese districts, towns and roads that jieba's dictionary holds as one word, whatever it tags them.

越秀区 (a district of Guangzhou) is one word in jieba's dictionary, tagged nr; 龙岗区 is one word tagged n;
信義路 and 民生路 are roads it lists as common nouns; its HMM makes 张江镇 one unknown "name", which the
surname rules took for a person. Each stayed in clear or became a person before 2026-11-27. The unit
(区, 县, 市, 镇, 乡, 村, 街道; 路, 街, 大道, 巷, 弄) now makes such a word a place when what comes before it is
a name: a word the dictionary tags as one and no common word, characters it knows no word of, or for
roads a rarer noun the dictionary lists with 路 as a road. Ordinary words ending in the same characters
(思路, 马路, 超市, 病区, 柏油路, 步行街, 大城市) stay.

Names jieba cuts across (瓜/沥镇, 增/城区, 秣/陵/街道, 區北/新路), a road named like one the dictionary
knows though jieba reads the name as a verb (解放/v 大道) or lists it as a given name (建國路), are places
too since 2026-11-27; what is smoked (抽万宝路) and a kind of area (农耕区) are not.
"""

from __future__ import annotations

import pytest
from fixtures.zh_deid import found, pseudonymised
from qualflow.pipeline.deidentify import Deidentifier


@pytest.fixture(scope="module")
def deid(jieba_cache) -> Deidentifier:
    return Deidentifier(cache_dir=jieba_cache)


# Mainland and Taiwan districts, towns, sub-districts and roads, with and without a number, in Simplified
# and Traditional; each sentence with every place in it.
PLACES = [
    ("我住在越秀区，每天坐地铁去医院。", ["越秀区"]),
    ("她家在龙岗区布吉街道。", ["龙岗区", "布吉街道"]),
    ("我们医院在信義路上，靠近捷运站。", ["信義路"]),
    ("我们医院在中山路上。", ["中山路"]),
    ("我们在浦东新区张江镇。", ["浦东新区", "张江镇"]),
    ("我家在中山路12号附近。", ["中山路12号"]),
    ("我媽住在大安區和平東路二段。", ["大安區", "和平東路二段"]),
    ("診所在民生路旁邊，走路五分鐘。", ["民生路"]),
    ("我们搬到了徐汇区，离医院近一些。", ["徐汇区"]),
    ("他在宝安区西乡街道的工厂上班。", ["宝安区", "西乡街道"]),
    ("我外婆住在昌平区回龙观镇。", ["昌平区", "回龙观镇"]),
    ("她住在新北市板橋區文化路一段。", ["新北市", "板橋區", "文化路一段"]),
    ("我們診所搬到了中正路上。", ["中正路"]),
    ("我住在延安西路那边。", ["延安西路"]),
    ("她是番禺区石楼镇的人。", ["番禺区", "石楼镇"]),
    ("社工站在桂城街道的南海大道旁边。", ["桂城街道", "南海大道"]),
    ("她家在上海路188弄。", ["上海路188弄"]),
    ("我们在仙霞路上开了个诊所。", ["仙霞路"]),
    ("我以前住在荔湾区，后来搬到了白云区。", ["荔湾区", "白云区"]),
    ("她在忠孝東路上開了一家店。", ["忠孝東路"]),
    ("他們搬到了永和區的永貞路。", ["永和區", "永貞路"]),
    ("我每天走石牌路去上班。", ["石牌路"]),
    ("她住在南山区蛇口街道。", ["南山区", "蛇口街道"]),
    ("我妈住在黄埔区，离这儿不远。", ["黄埔区"]),
    ("我们家在闵行区七宝镇。", ["闵行区", "七宝镇"]),
    ("診所就在敦化南路上。", ["敦化南路"]),
    ("我阿嬤住在羅東鎮。", ["羅東鎮"]),
    # Left in clear before 2026-11-27: jieba reads 解放 as a verb; it cuts 瓜/沥镇, 增/城区, 坪/山区,
    # 秣/陵/街道 and 區北/新路 across the name; 建国 is on the stop list as a given name.
    ("她每天沿着解放大道骑车上班。", ["解放大道"]),
    ("我老家在萧山区瓜沥镇。", ["萧山区", "瓜沥镇"]),
    ("他老家在增城区新塘镇。", ["增城区", "新塘镇"]),
    ("他们住在坪山区坑梓街道。", ["坪山区", "坑梓街道"]),
    ("他在江宁区秣陵街道上班。", ["江宁区", "秣陵街道"]),
    ("她在新店區北新路三段租房子。", ["新店區", "北新路三段"]),
    ("她在三民區建國路開了個小店。", ["三民區", "建國路"]),
    # A place after a verb that also counts packs (听 "listen", 一听 "a can") is still a place.
    ("我听北京来的医生说的。", ["北京"]),
]

# Everyday words that end in a place's unit: a road, a street, a market, a ward, the countryside.
ORDINARY = [
    "我们一起走这条路吧。", "一路上她都没说话。", "我的思路有点乱。", "孩子毕业以后没什么出路。",
    "马路上车很多。", "路上堵车，我迟到了。", "我在網路上查到的。", "这条街晚上很吵。",
    "周末我喜欢去逛街。", "菜市场就在楼下。", "这个城市节奏太快了。", "超市里东西很贵。",
    "全市的医院都满了。", "本市的政策不一样。", "他每个月去县城看病。", "我们住在郊区。",
    "市区的房子太贵。", "老城区的路很窄。", "病区里一共三十张床。", "为了学区房才搬家的。",
    "景区门票涨价了。", "小区门口有个药店。", "社区医生每周来一次。", "他们家在山区，交通不方便。",
    "她在农村长大。", "我爸妈住在乡下。", "我们是老乡。", "这是我的心路历程。",
    "高速公路上出了车祸。", "坐铁路回家要十个小时。", "电话线路一直占线。", "他找了门路才住进来。",
    "候诊区人太多了。", "隔离区不让家属进。", "工业园区里有个诊所。", "走了很多冤枉路。",
    "门口那条柏油路修好了。", "在人生路上总会遇到困难。", "重灾区的医院都停电了。", "现在是中风险区。",
    "一线城市压力太大。", "我们镇上只有一个卫生院。", "村里的老人都很孤独。", "步行街上人很多。",
    "你把这件事弄清楚。", "这个大道理谁都懂。", "十字路口有个红绿灯。", "這條路晚上很暗。",
    "他們家住在郊區。", "我們社區有很多老人。", "她的康复之路很艰难。", "我们走了不少弯路。",
    "我在门诊区等了两个小时。", "办公区和生活区是分开的。", "他是全县最好的医生。", "城乡差距很大。",
    "村口那条石板路很滑。", "以前都是水泥路。", "他住在大城市。", "美食街就在医院后面。",
    "小吃街晚上很热闹。", "他们家在城中村。", "這個城市的捷運很方便。", "她的求学之路很曲折。",
    "他身体这两年在走下坡路。", "大隐隐于市嘛。", "城区的交通很堵。", "他在镇上开了个小卖部。",
    # A brand named like a road, a kind of area jieba lists whole, "in the town", a kind of clinic, and
    # units after characters that start no name: each was replaced before 2026-11-27 or could be now.
    "他一直抽万宝路。", "他抽的是万宝路。", "这一带是传统的农耕区。", "我们镇里有个卫生院。", "乡镇卫生院缺医生。",
    "两城区合并以后人手更紧了。", "全城区都停电了。", "我们去山区义诊。", "小城区人少。",
]


@pytest.mark.parametrize(("text", "names"), PLACES)
def test_districts_towns_and_roads_are_places(deid, text, names):
    assert sorted(found(deid, text, "PLACE")) == sorted(names)
    assert found(deid, text, "PERSON") == []
    shown = pseudonymised(deid, text)
    assert not any(name in shown for name in names), shown


@pytest.mark.parametrize("text", ORDINARY)
def test_everyday_words_ending_in_a_unit_stay(deid, text):
    assert pseudonymised(deid, text) == text


def test_a_place_unit_beats_a_surname(deid):
    """张江镇 and 徐汇区 start with a surname and jieba tags them nr: they are a town and a district, and
    another mention of the same word in the transcript is the same place."""
    text = "我们在张江镇住了十年。后来从张江镇搬到了徐汇区。"
    assert found(deid, text, "PERSON") == []
    assert found(deid, text, "PLACE") == ["张江镇", "张江镇", "徐汇区"]
    # Real names next to places are still people.
    assert found(deid, "张伟住在越秀区。", "PERSON") == ["张伟"]
