#!/usr/bin/python3
"""Demo resident-register data for jpkid (deploy/demo/README.md).

Prints SQL (default) or NDJSON (--ndjson) for about 1,000 synthetic
residents of the four demo municipalities (deploy/demo/municipalities.sql,
which must be loaded first) and their cards. Deterministic: the same
arguments always give byte-identical output. Every date is reckoned from
the fixed demo day TODAY (2026-11-21 JST), never from the machine clock.

usage: residents.py [--count N] [--ndjson] > out

Python 3 standard library only. Every name, address and date is made up.
"""

import argparse
import datetime
import hashlib
import json
import random
import signal
import sys

TODAY = datetime.date(2026, 11, 21)	# the demo "today" (JST)
SEED = "jpkid-demo-2026-11-21"
FIRST_CARD_DAY = datetime.date(2016, 1, 12)	# My Number cards since January 2016
RANDOM_FIRST_SEQ = 101	# generated residents start at <municipality>00101

D = datetime.date


# --------------------------------------------------------------------- dates

def anniversary(birth, year, reach):
	"""The birth anniversary in year. 29 February in a common year: 1 March
	when reaching an age (reach=True, R5) and 28 February when a validity
	period ends (reach=False, R5/R6 decision)."""
	try:
		return birth.replace(year=year)
	except ValueError:		# 29 February, common year
		return D(year, 3, 1) if reach else D(year, 2, 28)


def age_on(birth, day):
	"""R5: age reached on day."""
	age = day.year - birth.year
	if day < anniversary(birth, day.year, True):
		age -= 1
	return age


def nth_birthday_after(birth, issued, n):
	"""End date of a card valid to the holder's n-th birthday strictly
	after the issue date (29 February: 28 February in common years)."""
	year = issued.year
	while anniversary(birth, year, False) <= issued:
		year += 1
	return anniversary(birth, year + n - 1, False)


def card_expiry(birth, issued):
	"""My Number card: 10th birthday after issuance when 18 or over on the
	issue date, otherwise the 5th."""
	return nth_birthday_after(birth, issued, 10 if age_on(birth, issued) >= 18 else 5)


def rand_day(rng, lo, hi):
	"""A day in [lo, hi]."""
	return lo + datetime.timedelta(days=rng.randrange((hi - lo).days + 1))


def birth_for_age(rng, amin, amax):
	"""A birth date of someone aged amin..amax (years, inclusive) today."""
	hi = anniversary_back(TODAY, amin)
	lo = anniversary_back(TODAY, amax + 1) + datetime.timedelta(days=1)
	return rand_day(rng, lo, hi)


def anniversary_back(day, years):
	try:
		return day.replace(year=day.year - years)
	except ValueError:
		return D(day.year - years, 2, 28)


def add_years(day, years):
	"""day + a fractional number of years (approximate, for family trees)."""
	return day + datetime.timedelta(days=int(years * 365.2425))


# --------------------------------------------------------------------- names

# Family names by frequency (most common first), with readings.
FAMILY = [
	("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
	("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
	("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
	("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
	("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
	("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
	("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"),
	("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"), ("岡田", "オカダ"),
	("長谷川", "ハセガワ"), ("藤田", "フジタ"), ("後藤", "ゴトウ"), ("近藤", "コンドウ"),
	("村上", "ムラカミ"), ("遠藤", "エンドウ"), ("青木", "アオキ"), ("坂本", "サカモト"),
	("斉藤", "サイトウ"), ("福田", "フクダ"), ("太田", "オオタ"), ("西村", "ニシムラ"),
	("藤井", "フジイ"), ("金子", "カネコ"), ("岡本", "オカモト"), ("藤原", "フジワラ"),
	("中野", "ナカノ"), ("三浦", "ミウラ"), ("原田", "ハラダ"), ("中川", "ナカガワ"),
	("松田", "マツダ"), ("竹内", "タケウチ"), ("小野", "オノ"), ("田村", "タムラ"),
	("中山", "ナカヤマ"), ("和田", "ワダ"), ("石田", "イシダ"), ("森田", "モリタ"),
	("上田", "ウエダ"), ("原", "ハラ"), ("内田", "ウチダ"), ("柴田", "シバタ"),
	("酒井", "サカイ"), ("宮崎", "ミヤザキ"), ("横山", "ヨコヤマ"), ("高木", "タカギ"),
	("安藤", "アンドウ"), ("宮本", "ミヤモト"), ("大野", "オオノ"), ("小島", "コジマ"),
	("谷口", "タニグチ"), ("今井", "イマイ"), ("工藤", "クドウ"), ("高田", "タカダ"),
	("増田", "マスダ"), ("丸山", "マルヤマ"), ("杉山", "スギヤマ"), ("村田", "ムラタ"),
	("大塚", "オオツカ"), ("新井", "アライ"), ("小山", "コヤマ"), ("平野", "ヒラノ"),
	("藤本", "フジモト"), ("河野", "コウノ"), ("上野", "ウエノ"), ("野口", "ノグチ"),
	("武田", "タケダ"), ("松井", "マツイ"), ("千葉", "チバ"), ("岩崎", "イワサキ"),
	("菅原", "スガワラ"), ("木下", "キノシタ"), ("久保", "クボ"), ("佐野", "サノ"),
	("野村", "ノムラ"), ("松尾", "マツオ"), ("土屋", "ツチヤ"), ("徳永", "トクナガ"),
]
FAMILY_WEIGHTS = [1.0 / (i + 1) ** 0.6 for i in range(len(FAMILY))]

# R20: register forms outside JIS X 0208/0212 and the register's substitute
# form (代替文字). (standard form, variant, probability of the variant)
VARIANTS = {
	"高橋": ("髙橋", 0.12),		# U+9AD9
	"山崎": ("山﨑", 0.20),		# U+FA11
	"宮崎": ("宮﨑", 0.15),
	"岩崎": ("岩﨑", 0.15),
	"吉田": ("𠮷田", 0.06),		# U+20BB7
	"土屋": ("𡈽屋", 0.25),		# U+2123D
	"徳永": ("德永", 0.30),		# U+5FB7
}

# Given names by birth period and sex: (name, reading).
GIVEN = {
	# born before 1946
	(0, "1"): "清 キヨシ 正雄 マサオ 勇 イサム 茂 シゲル 実 ミノル 進 ススム 博 ヒロシ 武 タケシ "
		"三郎 サブロウ 一郎 イチロウ 昭 アキラ 勝 マサル 和夫 カズオ 正 タダシ 稔 ミノル "
		"義雄 ヨシオ 忠 タダシ 幸雄 ユキオ 豊 ユタカ 秀夫 ヒデオ",
	(0, "2"): "幸子 サチコ 和子 カズコ 節子 セツコ 洋子 ヨウコ 久子 ヒサコ 美代子 ミヨコ "
		"文子 フミコ 静子 シズコ 千代子 チヨコ 清子 キヨコ ハル ハル キヨ キヨ トメ トメ "
		"ヨシ ヨシ 春子 ハルコ 君子 キミコ 光子 ミツコ 照子 テルコ",
	# 1946-1965
	(1, "1"): "誠 マコト 浩 ヒロシ 隆 タカシ 修 オサム 健一 ケンイチ 哲也 テツヤ 博之 ヒロユキ "
		"和彦 カズヒコ 明 アキラ 聡 サトシ 秀樹 ヒデキ 正人 マサト 勉 ツトム 透 トオル "
		"徹 トオル 淳 アツシ 浩一 コウイチ 康弘 ヤスヒロ",
	(1, "2"): "恵子 ケイコ 京子 キョウコ 由美子 ユミコ 真由美 マユミ 裕子 ユウコ 明美 アケミ "
		"直美 ナオミ 久美子 クミコ 典子 ノリコ 陽子 ヨウコ 純子 ジュンコ 美智子 ミチコ "
		"和美 カズミ 悦子 エツコ 順子 ジュンコ 早苗 サナエ",
	# 1966-1985
	(2, "1"): "大輔 ダイスケ 拓也 タクヤ 健太 ケンタ 直樹 ナオキ 達也 タツヤ 和也 カズヤ "
		"剛 ツヨシ 亮 リョウ 健 ケン 学 マナブ 隆之 タカユキ 雅之 マサユキ 智之 トモユキ "
		"洋平 ヨウヘイ 慎一 シンイチ 英樹 ヒデキ 浩二 コウジ 誠 マコト",
	(2, "2"): "智子 トモコ 裕美 ユミ 恵 メグミ 久美子 クミコ 香織 カオリ 由佳 ユカ 美穂 ミホ "
		"直子 ナオコ 真理子 マリコ 陽子 ヨウコ 愛 アイ 麻衣 マイ 綾 アヤ 美紀 ミキ "
		"千尋 チヒロ 奈美 ナミ 理恵 リエ 亜希子 アキコ",
	# 1986-2005
	(3, "1"): "翔太 ショウタ 拓海 タクミ 大輝 ダイキ 健太 ケンタ 翔 ショウ 大樹 ダイキ "
		"直人 ナオト 優太 ユウタ 亮太 リョウタ 颯太 ソウタ 蓮 レン 大翔 ヒロト 海斗 カイト "
		"悠斗 ユウト 陸 リク 翼 ツバサ 優 ユウ 拓真 タクマ",
	(3, "2"): "美咲 ミサキ 葵 アオイ さくら サクラ 彩 アヤ 七海 ナナミ 彩花 アヤカ 結衣 ユイ "
		"愛 アイ 遥 ハルカ 舞 マイ 萌 モエ 美羽 ミウ 菜々子 ナナコ 沙織 サオリ 千夏 チナツ "
		"優花 ユウカ 真央 マオ 明日香 アスカ",
	# 2006 and later
	(4, "1"): "蓮 レン 陽翔 ハルト 湊 ミナト 悠真 ユウマ 大翔 ヒロト 蒼 アオイ 樹 イツキ "
		"朝陽 アサヒ 悠人 ユウト 陽向 ヒナタ 律 リツ 碧 アオイ 颯真 ソウマ 奏太 カナタ "
		"結翔 ユイト 新 アラタ 悠翔 ユウト 湊斗 ミナト",
	(4, "2"): "陽葵 ヒマリ 結菜 ユイナ 芽依 メイ 凛 リン 紬 ツムギ 葵 アオイ 結愛 ユア 杏 アン "
		"陽菜 ヒナ 莉子 リコ さくら サクラ 澪 ミオ 咲良 サクラ 心春 コハル 美桜 ミオ "
		"花 ハナ 詩 ウタ 芽生 メイ",
}
GIVEN = {k: list(zip(v.split()[0::2], v.split()[1::2])) for k, v in GIVEN.items()}


def period(birth):
	y = birth.year
	return 0 if y < 1946 else 1 if y < 1966 else 2 if y < 1986 else 3 if y < 2006 else 4


# Foreign residents, by nationality: weight, family names (name, reading,
# Japanese-style surnames used as 通称 or None), male and female given names
# (name, reading; "" for a single name), probability of a registered alias.
FOREIGN = [
	(30, [("王", "ワン", None), ("李", "リ", None), ("張", "チャン", None), ("劉", "リュウ", None),
		("陳", "チン", None), ("楊", "ヤン", None), ("趙", "チョウ", None)],
		[("偉", "ウェイ"), ("強", "チャン"), ("磊", "レイ"), ("軍", "ジュン"), ("浩", "ハオ")],
		[("娜", "ナ"), ("敏", "ミン"), ("静", "ジン"), ("麗", "リー"), ("芳", "ファン")], 0.1),
	(15, [("金", "キム", ["金田", "金本", "金山"]), ("朴", "パク", ["新井", "木村"]),
		("李", "イ", ["岩本", "国本"]), ("崔", "チェ", ["山本"]), ("鄭", "チョン", ["東"])],
		[("英哲", "ヨンチョル"), ("成浩", "ソンホ"), ("在勲", "ジェフン"), ("東洙", "トンス")],
		[("美玲", "ミリョン"), ("恩恵", "ウネ"), ("順子", "スンジャ"), ("英姫", "ヨンヒ")], 0.6),
	(20, [("NGUYEN", "グエン", None), ("TRAN", "チャン", None), ("LE", "レ", None),
		("PHAM", "ファム", None)],
		[("VAN AN", "ヴァンアン"), ("VAN NAM", "ヴァンナム"), ("DUC MINH", "ドゥックミン")],
		[("THI HOA", "ティホア"), ("THI LAN", "ティラン"), ("THI MAI", "ティマイ")], 0),
	(10, [("SANTOS", "サントス", None), ("REYES", "レイエス", None), ("CRUZ", "クルス", None),
		("GARCIA", "ガルシア", None)],
		[("JOSE", "ホセ"), ("MARK ANTHONY", "マークアンソニー")],
		[("MARIA CRISTINA", "マリアクリスティナ"), ("ANGELICA", "アンジェリカ")], 0),
	(8, [("GURUNG", "グルン", None), ("SHRESTHA", "シュレスタ", None), ("TAMANG", "タマン", None)],
		[("RAM", "ラム"), ("BIKASH", "ビカス")], [("SITA", "シタ"), ("ANITA", "アニタ")], 0),
	(8, [("SMITH", "スミス", None), ("BROWN", "ブラウン", None), ("MILLER", "ミラー", None),
		("JOHNSON", "ジョンソン", None)],
		[("JOHN WILLIAM", "ジョンウィリアム"), ("DAVID", "デイビッド"), ("MICHAEL", "マイケル")],
		[("EMILY", "エミリー"), ("SARAH", "サラ"), ("JESSICA", "ジェシカ")], 0),
	# registered in katakana
	(5, [("シルバ", "シルバ", None), ("ペレイラ", "ペレイラ", None), ("オリベイラ", "オリベイラ", None)],
		[("ルーカス", "ルーカス"), ("マテウス", "マテウス")],
		[("アナ", "アナ"), ("ジュリア", "ジュリア")], 0),
	# single names: given_name ""
	(4, [("SUPRIYADI", "スプリヤディ", None), ("SETIAWAN", "セティアワン", None)],
		[("", None)], [("", None)], 0),
]


def foreigner(rng, address):
	w, fams, male, female, palias = rng.choices(FOREIGN, [f[0] for f in FOREIGN])[0]
	fam, fkana, aliases = rng.choice(fams)
	sex = rng.choice("12")
	given, gkana = rng.choice(male if sex == "1" else female)
	if rng.random() < 0.1:
		sex = "9"
	p = person(fam, given, fkana, gkana, birth_for_age(rng, 19, 75), sex, address)
	if aliases and rng.random() < palias:
		p["alias"] = "%s　%s" % (rng.choice(aliases), given)
	return p


# ----------------------------------------------------------------- addresses

FW = str.maketrans("0123456789", "０１２３４５６７８９")


def fw(n):
	return str(n).translate(FW)


# Per municipality: prefix, then (ward or "", town, highest 丁目 or 0 when the
# town has none and uses 番地).
TOWNS = {
	"131016": ("東京都千代田区", [
		("", "一番町", 0), ("", "二番町", 0), ("", "三番町", 0), ("", "四番町", 0),
		("", "五番町", 0), ("", "六番町", 0), ("", "麹町", 6), ("", "平河町", 2),
		("", "紀尾井町", 0), ("", "神田神保町", 3), ("", "神田小川町", 3),
		("", "神田駿河台", 4), ("", "九段北", 4), ("", "九段南", 4), ("", "飯田橋", 4),
		("", "富士見", 2), ("", "猿楽町", 2), ("", "三崎町", 3), ("", "西神田", 3),
		("", "岩本町", 3), ("", "東神田", 3), ("", "外神田", 6), ("", "神田佐久間町", 4),
		("", "神田和泉町", 0), ("", "内神田", 3), ("", "神田錦町", 3), ("", "一ツ橋", 2),
		("", "隼町", 0), ("", "神田須田町", 2), ("", "神田淡路町", 2)]),
	"131041": ("東京都新宿区", [
		("", "西新宿", 8), ("", "新宿", 7), ("", "百人町", 4), ("", "大久保", 3),
		("", "高田馬場", 4), ("", "北新宿", 4), ("", "戸山", 3), ("", "早稲田鶴巻町", 0),
		("", "神楽坂", 6), ("", "市谷柳町", 0), ("", "四谷", 4), ("", "信濃町", 0),
		("", "若葉", 3), ("", "中落合", 4), ("", "下落合", 4), ("", "上落合", 3),
		("", "西落合", 4), ("", "中井", 2), ("", "余丁町", 0), ("", "河田町", 0),
		("", "富久町", 0), ("", "矢来町", 0), ("", "弁天町", 0), ("", "原町", 3),
		("", "喜久井町", 0), ("", "榎町", 0), ("", "山吹町", 0), ("", "若松町", 0),
		("", "住吉町", 0), ("", "荒木町", 0), ("", "舟町", 0), ("", "左門町", 0),
		("", "大京町", 0), ("", "内藤町", 0), ("", "霞ケ丘町", 0), ("", "早稲田町", 0)]),
	"141003": ("神奈川県横浜市", [
		("中区", "山下町", 0), ("中区", "本町", 6), ("中区", "元町", 5),
		("中区", "山手町", 0), ("中区", "港町", 6), ("中区", "野毛町", 4),
		("中区", "石川町", 5), ("中区", "本牧町", 2), ("西区", "南幸", 2),
		("西区", "北幸", 2), ("西区", "みなとみらい", 6), ("西区", "戸部町", 7),
		("西区", "老松町", 0), ("神奈川区", "反町", 4), ("神奈川区", "鶴屋町", 3),
		("神奈川区", "六角橋", 6), ("神奈川区", "子安通", 3), ("港北区", "日吉本町", 6),
		("港北区", "綱島西", 6), ("港北区", "大倉山", 7), ("港北区", "菊名", 7),
		("港北区", "新横浜", 3), ("青葉区", "青葉台", 2), ("青葉区", "美しが丘", 5),
		("青葉区", "荏田西", 6), ("都筑区", "中川中央", 2), ("都筑区", "茅ケ崎中央", 0),
		("戸塚区", "戸塚町", 0), ("戸塚区", "上倉田町", 0), ("磯子区", "磯子", 8),
		("鶴見区", "鶴見中央", 5), ("鶴見区", "豊岡町", 0), ("南区", "弘明寺町", 0),
		("保土ケ谷区", "星川", 3), ("金沢区", "金沢八景", 0), ("緑区", "中山", 0)]),
	"141305": ("神奈川県川崎市", [
		("川崎区", "宮本町", 0), ("川崎区", "砂子", 2), ("川崎区", "駅前本町", 0),
		("川崎区", "東田町", 0), ("川崎区", "本町", 2), ("川崎区", "大師町", 0),
		("幸区", "幸町", 4), ("幸区", "南幸町", 3), ("幸区", "鹿島田", 3),
		("中原区", "小杉町", 3), ("中原区", "新丸子町", 0), ("中原区", "木月", 4),
		("中原区", "上小田中", 7), ("中原区", "今井南町", 0), ("高津区", "溝口", 6),
		("高津区", "二子", 5), ("高津区", "久本", 3), ("宮前区", "宮前平", 3),
		("宮前区", "鷺沼", 4), ("多摩区", "登戸", 0), ("多摩区", "宿河原", 7),
		("多摩区", "生田", 8), ("麻生区", "万福寺", 6), ("麻生区", "上麻生", 7),
		("麻生区", "百合丘", 3)]),
}
BUILDINGS = ["ハイツ", "コーポ", "マンション", "レジデンス", "パークハウス", "メゾン",
	"グランドハイツ", "ヒルズ", "コート", "テラス"]


def gen_address(rng, muni):
	prefix, towns = TOWNS[muni]
	ward, town, chome = rng.choice(towns)
	if chome:
		a = "%s%s%s%s丁目%s番%s号" % (prefix, ward, town, fw(rng.randint(1, chome)),
			fw(rng.randint(1, 28)), fw(rng.randint(1, 24)))
	else:
		a = "%s%s%s%s番地" % (prefix, ward, town,
			fw(rng.randint(1, 60 if prefix.startswith("東京都") else 300)))
		if rng.random() < 0.5:
			a += fw(rng.randint(1, 30))
	if rng.random() < 0.4:	# 方書: apartment building and room
		room = rng.randint(1, 14) * 100 + rng.randint(1, 12)
		a += "　%s%s%s号室" % (town if len(town) <= 4 else town[:2], rng.choice(BUILDINGS),
			fw(room))
	return a


# ------------------------------------------------------------------- people

def person(family, given, fkana, gkana, birth, sex, address, **kw):
	p = {
		"family_name": family, "given_name": given,
		"family_name_kana": fkana, "given_name_kana": gkana,
		"former_surname": None, "alias": None,
		"family_name_substitute": None, "given_name_substitute": None,
		"address_substitute": None,
		"birth_date": birth, "sex": sex, "address": address,
		"adult_ward": False, "status": "registered",
		"cards": None,		# None: the generic card rules decide
		"card_address": None,	# R3 mismatch: the address on the card surface
	}
	p.update(kw)
	return p


def card(issued, status="active", expires=None, kind="mynumber", **kw):
	c = {"kind": kind, "issued_on": issued, "expires_on": expires, "status": status}
	c.update(kw)
	return c


def showcase():
	"""Fixed residents per municipality; deploy/demo/README.md lists them."""
	chiyoda = [
		# 00001 adult, self issuance; household of 00002
		person("佐藤", "健一", "サトウ", "ケンイチ", D(1980, 5, 14), "1",
			"東京都千代田区麹町３丁目２番５号　麹町パークハウス６０２号室",
			cards=[card(D(2022, 6, 1))]),
		# 00002 minor aged 10: legal representative (00001, same household), AUTH only
		person("佐藤", "陽葵", "サトウ", "ヒマリ", D(2016, 4, 2), "2",
			"東京都千代田区麹町３丁目２番５号　麹町パークハウス６０２号室",
			cards=[card(D(2023, 3, 10))]),
		# 00003 turns 15 today (R5: SIGN allowed from 2026-11-21)
		person("鈴木", "大翔", "スズキ", "ヒロト", D(2011, 11, 21), "1",
			"東京都千代田区九段北１丁目１２番３号", cards=[card(D(2023, 8, 20))]),
		# 00004 turns 15 tomorrow (SIGN refused today, R4)
		person("高橋", "結衣", "タカハシ", "ユイ", D(2011, 11, 22), "2",
			"東京都千代田区富士見２丁目４番１１号", cards=[card(D(2024, 2, 15))]),
		# 00005 adult ward (R4, R13)
		person("中村", "浩", "ナカムラ", "ヒロシ", D(1958, 9, 3), "1",
			"東京都千代田区神田駿河台２丁目９番４号", adult_ward=True,
			cards=[card(D(2021, 10, 5))]),
		# 00006 born 29 February (R5, R6)
		person("伊藤", "真由美", "イトウ", "マユミ", D(1988, 2, 29), "2",
			"東京都千代田区三番町６番地１４", cards=[card(D(2023, 6, 12))]),
		# 00007 card expires 2027-01-20, within 3 months (R6/R7 cap, R21)
		person("渡辺", "誠", "ワタナベ", "マコト", D(1962, 1, 20), "1",
			"東京都千代田区神田神保町１丁目３番２号", cards=[card(D(2017, 2, 1))]),
		# 00008 card expired 2026-10-31, status still active (R2)
		person("山本", "恵子", "ヤマモト", "ケイコ", D(1970, 10, 31), "2",
			"東京都千代田区飯田橋３丁目７番１号", cards=[card(D(2016, 11, 10))]),
		# 00009 card reported lost (R2, R11)
		person("小林", "直樹", "コバヤシ", "ナオキ", D(1985, 7, 7), "1",
			"東京都千代田区外神田５丁目２番８号", cards=[card(D(2021, 4, 19), "lost")]),
		# 00010 moved within the ward, card surface not updated (R3)
		person("加藤", "由美子", "カトウ", "ユミコ", D(1975, 3, 18), "2",
			"東京都千代田区九段南２丁目３番１号",
			card_address="東京都千代田区飯田橋１丁目５番８号",
			cards=[card(D(2020, 9, 30))]),
		# 00011 name needs a substitute character, and has one (R20, R25 .2)
		person("𠮷田", "茂", "ヨシダ", "シゲル", D(1948, 12, 1), "1",
			"東京都千代田区一番町１２番地３", family_name_substitute="吉田",
			cards=[card(D(2022, 12, 9))]),
		# 00012 unrepresentable name, no substitute in the register (R20 refusal)
		person("𠮷川", "葵", "ヨシカワ", "アオイ", D(1995, 8, 8), "2",
			"東京都千代田区神田小川町３丁目１０番２号　小川町ハイツ３０５号室",
			cards=[card(D(2023, 1, 23))]),
		# 00013 removed from the register (moved out; R1)
		person("山田", "太郎", "ヤマダ", "タロウ", D(1990, 1, 15), "1",
			"東京都千代田区岩本町２丁目６番４号", status="removed",
			cards=[card(D(2022, 2, 14))]),
		# 00014 Juki card only (R17)
		person("井上", "トメ", "イノウエ", "トメ", D(1936, 5, 5), "2",
			"東京都千代田区四番町５番地",
			cards=[card(D(2015, 12, 18), kind="juki", expires=D(2027, 3, 31))]),
		# 00015 card re-issued after loss: issuance on the new card costs a fee (R18)
		person("松本", "拓也", "マツモト", "タクヤ", D(1983, 10, 10), "1",
			"東京都千代田区神田錦町２丁目１番６号",
			cards=[card(D(2020, 8, 3), "reissued"), card(D(2026, 11, 10))]),
		# 00016 no card at all (R2)
		person("木村", "さくら", "キムラ", "サクラ", D(2001, 4, 1), "2",
			"東京都千代田区西神田３丁目２番１号", cards=[]),
		# 00017 registered former surname 旧氏 (R25 .1)
		person("田中", "美穂", "タナカ", "ミホ", D(1987, 6, 21), "2",
			"東京都千代田区平河町１丁目４番１２号", former_surname="山口",
			cards=[card(D(2024, 5, 27))]),
		# 00018 foreign resident with an alias 通称 (R25 .1)
		person("金", "英哲", "キム", "ヨンチョル", D(1972, 9, 15), "1",
			"東京都千代田区神田佐久間町３丁目２１番地", alias="金田　英哲",
			cards=[card(D(2022, 9, 1))]),
		# 00019 elderly adult, voluntary proxy flow (R13 two visits)
		person("林", "和子", "ハヤシ", "カズコ", D(1944, 2, 11), "2",
			"東京都千代田区二番町９番地２", cards=[card(D(2023, 4, 7))]),
		# 00020 adult, voluntary proxy flow
		person("斎藤", "大輔", "サイトウ", "ダイスケ", D(1979, 12, 24), "1",
			"東京都千代田区猿楽町１丁目６番３号", cards=[card(D(2021, 7, 16))]),
		# 00021 turned 15 yesterday
		person("清水", "蓮", "シミズ", "レン", D(2011, 11, 20), "1",
			"東京都千代田区三崎町２丁目１５番９号", cards=[card(D(2023, 1, 10))]),
		# 00022 deceased (R12); card returned
		person("佐々木", "清", "ササキ", "キヨシ", D(1931, 3, 10), "1",
			"東京都千代田区五番町１４番地", status="deceased",
			cards=[card(D(2019, 6, 3), "returned")]),
		# 00023 address with a character outside JIS X 0208/0212, substitute given (R25 .6)
		person("山口", "修", "ヤマグチ", "オサム", D(1966, 7, 30), "1",
			"東京都千代田区神田神保町２丁目１４番地　𠮷野ビル３０１号室",
			address_substitute="東京都千代田区神田神保町２丁目１４番地　吉野ビル３０１号室",
			cards=[card(D(2022, 10, 17))]),
		# 00024 family and given name substitutes
		person("髙橋", "德子", "タカハシ", "ノリコ", D(1953, 11, 3), "2",
			"東京都千代田区内神田１丁目８番５号", family_name_substitute="高橋",
			given_name_substitute="徳子", cards=[card(D(2023, 2, 2))]),
	]
	shinjuku = [
		person("鈴木", "一郎", "スズキ", "イチロウ", D(1975, 1, 10), "1",
			"東京都新宿区北新宿２丁目５番３号", cards=[card(D(2021, 3, 3))]),
		person("中島", "彩", "ナカジマ", "アヤ", D(2000, 2, 29), "2",
			"東京都新宿区高田馬場３丁目１８番２２号　高田馬場コーポ２０３号室",
			cards=[card(D(2022, 8, 8))]),
		person("中島", "悠真", "ナカジマ", "ユウマ", D(2012, 2, 29), "1",
			"東京都新宿区高田馬場３丁目１８番２２号　高田馬場コーポ２０３号室",
			cards=[card(D(2023, 9, 1))]),
		person("SUPRIYADI", "", "スプリヤディ", None, D(1993, 6, 17), "9",
			"東京都新宿区百人町２丁目１１番７号", cards=[card(D(2024, 1, 22))]),
		person("小川", "節子", "オガワ", "セツコ", D(1940, 8, 25), "2",
			"東京都新宿区若松町１９番地", adult_ward=True, cards=[card(D(2020, 12, 1))]),
	]
	yokohama = [
		person("村上", "健太", "ムラカミ", "ケンタ", D(1984, 8, 19), "1",
			"神奈川県横浜市中区元町２丁目８４番地", cards=[card(D(2022, 11, 2))]),
		person("村上", "愛", "ムラカミ", "アイ", D(1986, 12, 5), "2",
			"神奈川県横浜市中区元町２丁目８４番地", former_surname="原田",
			cards=[card(D(2022, 11, 2))]),
		person("長谷川", "ハル", "ハセガワ", "ハル", D(1925, 4, 8), "2",
			"神奈川県横浜市神奈川区六角橋３丁目５番１０号", cards=[card(D(2023, 5, 15))]),
		person("村上", "湊", "ムラカミ", "ミナト", D(2019, 7, 14), "1",
			"神奈川県横浜市中区元町２丁目８４番地", cards=[card(D(2023, 6, 1))]),
	]
	kawasaki = [
		person("前田", "剛", "マエダ", "ツヨシ", D(1977, 3, 3), "1",
			"神奈川県川崎市川崎区宮本町６番地", cards=[card(D(2021, 12, 20))]),
		person("前田", "由佳", "マエダ", "ユカ", D(1979, 9, 9), "2",
			"神奈川県川崎市川崎区宮本町６番地", cards=[card(D(2022, 1, 11))]),
	]
	return {"131016": chiyoda, "131041": shinjuku, "141003": yokohama, "141305": kawasaki}


# Share of the residents per municipality (the rest goes to the last one).
SHARE = [("131016", 0.15), ("131041", 0.25), ("141003", 0.40), ("141305", 0.20)]


def pick_family(rng):
	return rng.choices(FAMILY, FAMILY_WEIGHTS)[0]


def pick_given(rng, birth, sex):
	return rng.choice(GIVEN[(period(birth), "2" if sex == "2" else "1")])


def japanese(rng, fam, birth, sex, address):
	g, gk = pick_given(rng, birth, sex)
	return person(fam[0], g, fam[1], gk, birth, sex, address)


def household(rng, muni):
	"""One household: people sharing an address (and mostly a surname)."""
	address = gen_address(rng, muni)
	if rng.random() < (0.08 if muni == "131041" else 0.03):	# foreign residents
		return [foreigner(rng, address)]
	fam = pick_family(rng)
	variant = VARIANTS.get(fam[0])
	if variant and rng.random() < variant[1]:
		fam = (variant[0], fam[1], fam[0])	# (register form, kana, substitute)
	kind = rng.choices(["young", "mid", "elder", "couple", "elders", "family", "single_parent",
		"three"], [15, 9, 13, 11, 13, 24, 4, 5])[0]
	people = []
	if kind == "young":
		people.append(japanese(rng, fam, birth_for_age(rng, 18, 39), rng.choice("12"), address))
	elif kind == "mid":
		people.append(japanese(rng, fam, birth_for_age(rng, 40, 64), rng.choice("12"), address))
	elif kind == "elder":
		age = 65 + int(rng.triangular(0, 36, 2))
		people.append(japanese(rng, fam, birth_for_age(rng, age, age), rng.choice("12"), address))
	elif kind in ("couple", "elders"):
		wife_age = rng.randint(24, 64) if kind == "couple" else 65 + int(rng.triangular(0, 33, 2))
		hus_age = min(max(wife_age + rng.randint(-3, 7), 18), 101)
		people.append(japanese(rng, fam, birth_for_age(rng, hus_age, hus_age), "1", address))
		people.append(japanese(rng, fam, birth_for_age(rng, wife_age, wife_age), "2", address))
	else:	# parents and children
		mother = birth_for_age(rng, 27, 56)
		parents = []
		if kind in ("family", "three") or rng.random() < 0.8:
			parents.append(("2", mother))
		if kind in ("family", "three"):
			parents.insert(0, ("1", add_years(mother, -rng.uniform(-2, 6))))
		if not parents:
			parents.append(("1", add_years(mother, -rng.uniform(-2, 6))))
		if kind == "three":	# the father's parents live with them
			gp = add_years(parents[0][1], -rng.uniform(24, 34))
			if age_on(gp, TODAY) < 101:
				people.append(japanese(rng, fam, gp, "1", address))
				people.append(japanese(rng, fam, add_years(gp, rng.uniform(0, 4)), "2", address))
		for sex, b in parents:
			people.append(japanese(rng, fam, b, sex, address))
		at = rng.uniform(24, 38)
		for _ in range(rng.choices([1, 2, 3], [35, 45, 20])[0]):
			b = add_years(mother, at)
			if b >= TODAY or age_on(b, TODAY) > 24:
				break
			people.append(japanese(rng, fam, b, rng.choice("12"), address))
			at += rng.uniform(1.3, 5)
	seen = []	# no two members with the same given name
	for p in people:
		for _ in range(10):
			if p["given_name"] not in seen:
				break
			p["given_name"], p["given_name_kana"] = pick_given(rng, p["birth_date"], p["sex"])
		seen.append(p["given_name"])
	for p in people:
		if len(fam) == 3:
			p["family_name_substitute"] = fam[2]
	# 旧氏: a married woman who registered her former surname
	for p in people:
		age = age_on(p["birth_date"], TODAY)
		if p["sex"] == "2" and age >= 24 and len(people) > 1 and rng.random() < 0.05:
			other = pick_family(rng)
			if other[0] != fam[0]:
				p["former_surname"] = other[0]
	# R3: the household moved within the municipality; some cards still show
	# the old address.
	if rng.random() < 0.02:
		old = gen_address(rng, muni)
		for p in people:
			if rng.random() < 0.7:
				p["card_address"] = old
	return people


def random_issue(rng, birth):
	"""An issue date for a card held today, or None when there cannot be one."""
	lo = max(FIRST_CARD_DAY, birth + datetime.timedelta(days=30))
	hi = TODAY - datetime.timedelta(days=1)
	if lo > hi:
		return None
	years = [y for y in range(lo.year, hi.year + 1)]
	weights = {2016: 5, 2017: 3, 2018: 3, 2019: 4, 2020: 8, 2021: 10, 2022: 18, 2023: 15,
		2024: 10, 2025: 10, 2026: 8}
	for _ in range(100):
		y = rng.choices(years, [weights[y] for y in years])[0]
		d = rand_day(rng, max(lo, D(y, 1, 1)), min(hi, D(y, 12, 31)))
		if card_expiry(birth, d) > TODAY:	# would have been renewed otherwise
			return d
	return rand_day(rng, max(lo, hi - datetime.timedelta(days=700)), hi)


def generic_cards(rng, p):
	age = age_on(p["birth_date"], TODAY)
	if rng.random() < (0.7 if age < 1 else 0.05):
		return []
	issued = random_issue(rng, p["birth_date"])
	if issued is None:
		return []
	if p["status"] == "deceased":
		return [card(issued, "returned")]
	r = rng.random()
	if r < 0.005:
		return [card(issued, "lost")]
	if r < 0.02 and issued < TODAY - datetime.timedelta(days=60):
		new = rand_day(rng, max(issued + datetime.timedelta(days=30), TODAY - datetime.timedelta(days=700)),
			TODAY - datetime.timedelta(days=1))
		return [card(issued, "reissued"), card(new)]
	return [card(issued)]


def generate(count):
	fixed = showcase()
	nfixed = sum(len(v) for v in fixed.values())
	if count < nfixed:
		sys.exit("residents.py: --count must be at least %d (the showcase residents)" % nfixed)
	quota = {}
	left = count
	for i, (m, share) in enumerate(SHARE):
		quota[m] = left if i == len(SHARE) - 1 else max(round(count * share), len(fixed[m]))
		left -= quota[m]
	residents = []
	for m, _ in SHARE:
		people = []
		for i, p in enumerate(fixed[m]):
			p["resident_code"] = "%s%05d" % (m, i + 1)
			people.append(p)
		seq = RANDOM_FIRST_SEQ
		h = 0
		while len(people) < quota[m]:
			rng = random.Random("%s:%s:%d" % (SEED, m, h))
			h += 1
			# The last household may lose its youngest members, so that a
			# smaller --count gives a prefix of each municipality's list.
			hh = household(rng, m)[:quota[m] - len(people)]
			for p in hh:
				a = age_on(p["birth_date"], TODAY)
				if a >= 18 and rng.random() < (0.025 if a >= 75 else 0.004):
					p["adult_ward"] = True
				if a >= 80 and rng.random() < 0.08:
					p["status"] = "deceased"
				elif 18 <= a < 65 and rng.random() < 0.012:
					p["status"] = "removed"
				p["cards"] = generic_cards(rng, p)
				p["resident_code"] = "%s%05d" % (m, seq)
				seq += 1
				people.append(p)
		for p in people:
			p["municipality_code"] = m
		residents.extend(people)
	# Card numbers: 12 digits derived from the resident code, so a resident's
	# cards keep their numbers whatever --count is.
	seen = {}
	for p in residents:
		for k, c in enumerate(p["cards"]):
			c.setdefault("expires_on", None)
			if c["expires_on"] is None:
				c["expires_on"] = card_expiry(p["birth_date"], c["issued_on"])
			if c["kind"] == "juki":
				c["card_number"] = "J" + p["resident_code"]
			else:
				salt = 0
				while True:
					h = hashlib.sha256(("%s:card:%s:%d:%d" % (SEED, p["resident_code"], k,
						salt)).encode()).digest()
					n = "%012d" % (int.from_bytes(h[:8], "big") % 900000000000 + 100000000000)
					if n not in seen:
						break
					salt += 1
				c["card_number"] = n
			seen[c["card_number"]] = True
			assert c["expires_on"] > c["issued_on"], (p["resident_code"], c)
			assert c["issued_on"] > p["birth_date"], (p["resident_code"], c)
	return residents


# ---------------------------------------------------------------------- output

NDJSON_KEYS = ["resident_code", "municipality_code", "family_name", "given_name",
	"family_name_kana", "given_name_kana", "former_surname", "alias",
	"family_name_substitute", "given_name_substitute", "address_substitute",
	"birth_date", "sex", "address", "adult_ward", "status"]

CARD_COLS = ["card_number", "resident_code", "kind", "issued_on", "expires_on", "status",
	"card_family_name", "card_given_name", "card_former_surname", "card_alias",
	"card_birth_date", "card_sex", "card_address"]


def sql_value(v):
	if v is None:
		return "NULL"
	if isinstance(v, bool):
		return "true" if v else "false"
	if isinstance(v, datetime.date):
		return "'%s'" % v.isoformat()
	return "'%s'" % str(v).replace("'", "''")


def card_row(p, c):
	return [c["card_number"], p["resident_code"], c["kind"], c["issued_on"], c["expires_on"],
		c["status"], p["family_name"], p["given_name"], p["former_surname"], p["alias"],
		p["birth_date"], p["sex"], p["card_address"] or p["address"]]


def inserts(out, table, cols, rows, conflict, batch=200):
	for i in range(0, len(rows), batch):
		out.write("INSERT INTO %s (%s) VALUES\n" % (table, ", ".join(cols)))
		out.write(",\n".join("\t(" + ", ".join(sql_value(v) for v in r) + ")"
			for r in rows[i:i + batch]))
		out.write("\nON CONFLICT (%s) DO NOTHING;\n" % conflict)


def write_sql(out, residents):
	ncards = sum(len(p["cards"]) for p in residents)
	out.write("-- Demo residents and cards for jpkid, written by deploy/demo/residents.py\n"
		"-- (%d residents, %d cards; demo day %s). Do not edit: regenerate.\n"
		"-- Load deploy/demo/municipalities.sql first. Loading twice changes nothing.\n"
		% (len(residents), ncards, TODAY.isoformat()))
	out.write("SET client_encoding = 'UTF8';\nBEGIN;\n")
	inserts(out, "residents", NDJSON_KEYS,
		[[p[k] for k in NDJSON_KEYS] for p in residents], "resident_code")
	inserts(out, "cards", CARD_COLS,
		[card_row(p, c) for p in residents for c in p["cards"]], "card_number")
	out.write("COMMIT;\n")


def write_ndjson(out, residents):
	for p in residents:
		o = {}
		for k in NDJSON_KEYS:
			v = p[k]
			if v is None:
				continue
			o[k] = v.isoformat() if isinstance(v, datetime.date) else v
		out.write(json.dumps(o, ensure_ascii=False, separators=(",", ":")) + "\n")


def main():
	ap = argparse.ArgumentParser(description="Demo resident-register data for jpkid.")
	ap.add_argument("--count", type=int, default=1000, help="number of residents (default 1000)")
	ap.add_argument("--ndjson", action="store_true",
		help="print residents as NDJSON for the register feed API (no cards)")
	args = ap.parse_args()
	signal.signal(signal.SIGPIPE, signal.SIG_DFL)	# quiet under | head
	residents = generate(args.count)
	out = open(sys.stdout.fileno(), "w", encoding="utf-8", newline="\n", closefd=False)
	if args.ndjson:
		write_ndjson(out, residents)
	else:
		write_sql(out, residents)
	out.flush()


if __name__ == "__main__":
	main()
