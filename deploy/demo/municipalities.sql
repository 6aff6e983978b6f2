-- Demo register data for the quickstart: municipalities in two prefectures.
-- (Residents and cards arrive with the issuance work; see NEWS.)
-- Codes are the 6-digit local government codes (全国地方公共団体コード).
INSERT INTO municipalities (code, prefecture, name) VALUES
	('131016', '東京都', '千代田区'),
	('131041', '東京都', '新宿区'),
	('141003', '神奈川県', '横浜市'),
	('141305', '神奈川県', '川崎市')
ON CONFLICT (code) DO NOTHING;
