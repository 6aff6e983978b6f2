-- Fixtures of tests/api/issuance.sh: one resident per rule to exercise.
-- The test clock starts at 2026-11-21 10:00 JST (a Saturday).
-- Resident codes 131016990NN (千代田区) and 141003990NN (横浜市).
INSERT INTO residents (resident_code, municipality_code, family_name, given_name,
    family_name_substitute, given_name_substitute, former_surname, birth_date, sex, address,
    adult_ward, status) VALUES
 ('13101699001', '131016', '山田', '太郎', NULL, NULL, NULL, '1980-01-02', '1', '東京都千代田区千代田１丁目１番１号', false, 'registered'),
 ('13101699002', '131016', '佐藤', '花子', NULL, NULL, NULL, '2016-05-05', '2', '東京都千代田区麹町２丁目３番４号', false, 'registered'),
 ('13101699003', '131016', '鈴木', '一郎', NULL, NULL, NULL, '2011-11-21', '1', '東京都千代田区九段北１丁目２番３号', false, 'registered'),
 ('13101699004', '131016', '高橋', '清', NULL, NULL, NULL, '1950-03-03', '1', '東京都千代田区神田錦町３丁目１番', true, 'registered'),
 ('13101699005', '131016', '田中', '美咲', NULL, NULL, NULL, '1990-06-15', '2', '東京都千代田区有楽町１丁目１番', false, 'registered'),
 ('13101699006', '131016', '伊藤', '健', NULL, NULL, NULL, '1985-09-09', '1', '東京都千代田区丸の内１丁目９番', false, 'registered'),
 ('13101699007', '131016', '渡辺', '陽子', NULL, NULL, NULL, '1975-12-01', '2', '東京都千代田区神田神保町１丁目１番', false, 'registered'),
 ('13101699008', '131016', '中村', '進', NULL, NULL, NULL, '1960-04-04', '1', '東京都千代田区飯田橋２丁目２番', false, 'registered'),
 ('13101699009', '131016', '小林', '誠', NULL, NULL, NULL, '1970-07-07', '1', '東京都千代田区三番町５番', false, 'removed'),
 ('13101699010', '131016', '𠮷田', '一', NULL, NULL, NULL, '1988-02-29', '1', '東京都千代田区富士見１丁目１番', false, 'registered'),
 ('13101699011', '131016', '𠮷川', '優', '吉川', NULL, '高橋', '1992-10-10', '2', '東京都千代田区平河町１丁目１番', false, 'registered'),
 ('13101699012', '131016', '加藤', '恵', NULL, NULL, NULL, '1983-08-08', '2', '東京都千代田区一番町１番', false, 'registered'),
 ('13101699013', '131016', '吉田', '修', NULL, NULL, NULL, '1979-05-05', '1', '東京都千代田区二番町２番', false, 'registered'),
 ('13101699014', '131016', '山口', '拓也', NULL, NULL, NULL, '1991-01-31', '1', '東京都千代田区四番町４番', false, 'registered'),
 ('13101699015', '131016', '松本', '由美', NULL, NULL, NULL, '1987-03-15', '2', '東京都千代田区五番町５番', false, 'registered'),
 ('13101699016', '131016', '井上', '大輔', NULL, NULL, NULL, '1982-11-11', '1', '東京都千代田区六番町６番', false, 'registered'),
 ('13101699017', '131016', '木村', '直子', NULL, NULL, NULL, '1994-04-01', '2', '東京都千代田区紀尾井町１番', false, 'registered'),
 ('14100399001', '141003', '林', '浩', NULL, NULL, NULL, '1981-02-02', '1', '神奈川県横浜市中区港町１丁目１番地', false, 'registered')
ON CONFLICT DO NOTHING;

-- Cards: the recorded four equal the register unless a test says otherwise.
INSERT INTO cards (card_number, resident_code, kind, issued_on, expires_on, status,
    card_family_name, card_given_name, card_former_surname, card_birth_date, card_sex, card_address)
SELECT n, r.resident_code, k, i::date, e::date, s,
    r.family_name, r.given_name, r.former_surname, r.birth_date, r.sex, coalesce(a, r.address)
FROM (VALUES
 ('900000000001', '13101699001', 'mynumber', '2024-01-02', '2040-01-02', 'active', NULL),
 ('900000000002', '13101699002', 'mynumber', '2024-05-05', '2031-05-05', 'active', NULL),
 ('900000000003', '13101699003', 'mynumber', '2022-01-10', '2031-11-21', 'active', NULL),
 ('900000000004', '13101699004', 'mynumber', '2020-03-03', '2030-03-03', 'active', NULL),
 ('900000000005', '13101699005', 'mynumber', '2016-06-15', '2026-06-15', 'active', NULL),
 ('900000000006', '13101699006', 'mynumber', '2020-09-09', '2030-09-09', 'lost', NULL),
 ('900000000007', '13101699007', 'mynumber', '2021-12-01', '2031-12-01', 'active', '東京都千代田区旧住所１番'),
 ('J0000000008',  '13101699008', 'juki',     '2012-04-04', '2027-04-04', 'active', NULL),
 ('900000000009', '13101699009', 'mynumber', '2021-07-07', '2031-07-07', 'active', NULL),
 ('900000000010', '13101699010', 'mynumber', '2022-02-28', '2032-02-28', 'active', NULL),
 ('900000000011', '13101699011', 'mynumber', '2022-10-10', '2032-10-10', 'active', NULL),
 ('900000000012', '13101699012', 'mynumber', '2023-08-08', '2033-08-08', 'active', NULL),
 ('900000000013', '13101699013', 'mynumber', '2023-05-05', '2033-05-05', 'active', NULL),
 ('800000000014', '13101699014', 'mynumber', '2018-01-31', '2028-01-31', 'reissued', NULL),
 ('900000000014', '13101699014', 'mynumber', '2026-10-01', '2036-01-31', 'active', NULL),
 ('900000000015', '13101699015', 'mynumber', '2023-03-15', '2033-03-15', 'active', NULL),
 ('900000000016', '13101699016', 'mynumber', '2023-11-11', '2033-11-11', 'active', NULL),
 ('900000000017', '13101699017', 'mynumber', '2024-04-01', '2034-04-01', 'active', NULL),
 ('900000000099', '14100399001', 'mynumber', '2024-02-02', '2034-02-02', 'active', NULL)
) AS v(n, code, k, i, e, s, a)
JOIN residents r ON r.resident_code = v.code
ON CONFLICT DO NOTHING;
