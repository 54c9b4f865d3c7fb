-- The fixed reference rows of ToteSys (they do not grow with the scale). Names are invented in the
-- style of the live data; the quirks downstream must survive are kept on purpose: department 4's
-- location is misspelt "Leds", one email holds an apostrophe, some address lines/districts are NULL.
-- Every row is created at %(created_at)s, the moment the generated history begins.

-- name: currency
INSERT INTO currency (currency_id, currency_code, created_at, last_updated)
SELECT id, code, %(created_at)s, %(created_at)s
FROM unnest(ARRAY['GBP', 'USD', 'EUR']) WITH ORDINALITY AS c(code, id);

-- name: payment_type
-- One row per enum label, ids in declaration order.
INSERT INTO payment_type (payment_type_id, payment_type_name, created_at, last_updated)
SELECT id, name, %(created_at)s, %(created_at)s
FROM unnest(enum_range(NULL::payment_type_name)) WITH ORDINALITY AS p(name, id);

-- name: department
INSERT INTO department (department_id, department_name, location, manager, created_at, last_updated)
SELECT id, name, location, manager, %(created_at)s, %(created_at)s
FROM (VALUES
    (1, 'Sales', 'Manchester', 'Priya Hollis'),
    (2, 'Purchasing', 'Manchester', 'Tomasz Wren'),
    (3, 'Production', 'Leeds', 'Ada Okonjo'),
    (4, 'Dispatch', 'Leds', 'Callum Birchall'),
    (5, 'Finance', 'Manchester', 'Maeve Quinlan'),
    (6, 'Facilities', 'Manchester', 'Osric Bellamy'),
    (7, 'Communications', 'Leeds', 'Hana Virtanen'),
    (8, 'HR', 'Leeds', 'Lionel Ashdown')
) AS d(id, name, location, manager);

-- name: staff
INSERT INTO staff (staff_id, first_name, last_name, department_id, email_address, created_at, last_updated)
SELECT id, first_name, last_name, department_id,
       lower(first_name || '.' || last_name) || '@terrifictotes.com', %(created_at)s, %(created_at)s
FROM (VALUES
    (1, 'Rosalind', 'Pemberton', 2), (2, 'Dorian', 'Kessler', 6), (3, 'Marisol', 'Treadwell', 6),
    (4, 'Ansel', 'Fairbrother', 3), (5, 'Winifred', 'Halloran', 8), (6, 'Declan', 'O''Hara', 1),
    (7, 'Esmeralda', 'Quigley', 1), (8, 'Barnaby', 'Lindqvist', 7), (9, 'Ottilie', 'Farrow', 4),
    (10, 'Cassius', 'Wainwright', 5), (11, 'Imelda', 'Strand', 1), (12, 'Thaddeus', 'Moorcroft', 2),
    (13, 'Lavinia', 'Ashcombe', 3), (14, 'Ferris', 'Duquesne', 4), (15, 'Philippa', 'Brannock', 5),
    (16, 'Ignatius', 'Vale', 7), (17, 'Henrietta', 'Colbourne', 1), (18, 'Rufus', 'Stainforth', 8),
    (19, 'Odessa', 'Marchbank', 2), (20, 'Leopold', 'Thistlewood', 1)
) AS s(id, first_name, last_name, department_id);

-- name: address
INSERT INTO address (address_id, address_line_1, address_line_2, district, city, postal_code, country, phone,
                     created_at, last_updated)
SELECT id, line_1, line_2, district, city, postal_code, country, phone, %(created_at)s, %(created_at)s
FROM (VALUES
    (1, '4721 Marlow Crescent', NULL, NULL, 'Port Elspeth', '28441', 'Norway', '1804 552913'),
    (2, '18 Quenby Heights', NULL, 'Avonshire', 'Lake Tamsin', '60917-3302', 'Chile', '0722 418806'),
    (3, '903 Pellow Turnpike', 'Suite 210', NULL, 'Orrinville', '11580', 'Mongolia', '3391 207554'),
    (4, '62 Ravensworth Lane', NULL, NULL, 'New Corwin', '74019', 'Portugal', '5520 631048'),
    (5, '3385 Gideon Mews', 'Apt. 14', 'Kentmere', 'South Idabel', '39266-1147', 'Belize', '7714 093382'),
    (6, '741 Haverbrook Parkway', NULL, NULL, 'West Aurelia', '80452', 'Tuvalu', '2268 745190'),
    (7, '5590 Stonecipher Road', NULL, 'Berwickshire', 'Fennimore', '57731', 'Iceland', '6039 118274'),
    (8, '27 Thornbury Glen', 'Unit 3', NULL, 'Kilbride Falls', '90218-4460', 'Ecuador', '4487 362015'),
    (9, '1209 Wexcombe Drive', NULL, NULL, 'Brightwell', '15603', 'Latvia', '9150 274836'),
    (10, '86 Amberley Square', NULL, 'Lowlands', 'East Marigold', '67340', 'Namibia', '0395 846621'),
    (11, '4410 Carradine Walk', 'Floor 2', NULL, 'Hollisport', '22957', 'Malta', '8862 501947'),
    (12, '355 Dunmore Passage', NULL, NULL, 'Quillan', '48120-0983', 'Vietnam', '1473 690528'),
    (13, '7 Farthingale Court', NULL, 'Greystoke', 'Saint Amory', '30786', 'Senegal', '5921 437760'),
    (14, '2618 Yelverton Way', NULL, NULL, 'Lower Tansy', '84413', 'Canada', '3058 912364'),
    (15, '93 Oakhampton Ridge', 'Suite 88', 'Marchfield', 'Vennick', '19275', 'Kiribati', '7246 085139'),
    (16, '1557 Brackenridge Close', NULL, NULL, 'Ellisburgh', '63308-2271', 'Peru', '6612 348970'),
    (17, '48 Sallowfield Row', NULL, NULL, 'North Perrin', '27194', 'Jordan', '2930 761482'),
    (18, '6024 Tolliver Street', NULL, 'Eastmoor', 'Caddington', '95521', 'Fiji', '8105 226307'),
    (19, '312 Ingleby Terrace', 'Apt. 907', NULL, 'Wrenhaven', '41062', 'Slovenia', '4377 659013'),
    (20, '8870 Lockwood Spur', NULL, NULL, 'Darrowby', '70839-5516', 'Ghana', '0584 913276'),
    (21, '15 Verity Gardens', NULL, 'Thornhill', 'Port Anselm', '52617', 'Uruguay', '9721 304658'),
    (22, '2049 Hawksmoor Loop', NULL, NULL, 'Millbrook', '36904', 'Bhutan', '1269 587431'),
    (23, '577 Pendleton Parade', 'Unit 12', NULL, 'Calder Bay', '88150', 'Estonia', '5836 120794'),
    (24, '39 Rookwood Hollow', NULL, NULL, 'Ashby Cross', '13478-6620', 'Samoa', '3694 871025'),
    (25, '7163 Kingsley Circle', NULL, 'Westvale', 'Grimsworth', '59032', 'Oman', '7053 462198'),
    (26, '240 Merriman Vale', NULL, NULL, 'Lake Oriel', '26785', 'Croatia', '2418 035967'),
    (27, '9912 Sedgwick Field', 'Floor 5', NULL, 'Harrowgate', '77406', 'Panama', '6780 219543'),
    (28, '64 Whitcombe Drift', NULL, 'Fenland', 'New Ravel', '44391-0078', 'Rwanda', '0947 653810'),
    (29, '1831 Castellan Rise', NULL, NULL, 'Beaumaris', '31268', 'Lesotho', '8512 740396'),
    (30, '506 Foxley Bridge', NULL, NULL, 'Tarrant Hill', '68827', 'Cyprus', '4165 398207')
) AS a(id, line_1, line_2, district, city, postal_code, country, phone);

-- name: counterparty
INSERT INTO counterparty (counterparty_id, counterparty_legal_name, legal_address_id, commercial_contact,
                          delivery_contact, created_at, last_updated)
SELECT id, legal_name, address_id, commercial_contact, delivery_contact, %(created_at)s, %(created_at)s
FROM (VALUES
    (1, 'Harwood and Sons', 15, 'Mabel Trent', 'Mr. Silas Grier'),
    (2, 'Kestrel, Vaughan and Pike', 28, 'Orla Mackey', 'Dr. Eamon Voss'),
    (3, 'Brindle Inc', 2, 'Jasper Rolt', 'Cora Lindell'),
    (4, 'Ashgrove LLC', 29, 'Nell Haverty', 'Ivo Brackett'),
    (5, 'Quayle - Morrow', 22, 'Tobias Fenn', 'Mrs. Greta Holm'),
    (6, 'Pellinore Group', 11, 'Ruth Calloway', 'Ambrose Kitt'),
    (7, 'Tansley, Orme and Wilder', 18, 'Delia Spratt', 'Fergus Lyle'),
    (8, 'Corvin Holdings', 8, 'Sabine Arkwright', 'Milo Denholm'),
    (9, 'Fenwick - Oakes', 3, 'Yusuf Brennan', 'Petra Scholes'),
    (10, 'Marrable and Daughters', 4, 'Gideon Lusk', 'Ms. Juno Pratt'),
    (11, 'Halloway Inc', 25, 'Beatrix Coyle', 'Anselm Rudd'),
    (12, 'Stourton - Bligh', 1, 'Cyrus Mallin', 'Edie Faraday'),
    (13, 'Whitlock, Penrose and Dale', 19, 'Noor Sandell', 'Hugo Beddoes'),
    (14, 'Gallimore LLC', 10, 'Tessa Wray', 'Caspar Hinde'),
    (15, 'Ravel Partners', 30, 'Ilse Morland', 'Quentin Aske'),
    (16, 'Dunstable and Sons', 6, 'Mirela Potts', 'Lorcan Fell'),
    (17, 'Ebberley Group', 13, 'Audra Kemble', 'Dr. Otis Vane'),
    (18, 'Thorncroft - Blythe', 24, 'Bram Ogilvy', 'Sunniva Hale'),
    (19, 'Lantern Works Ltd', 17, 'Cosima Rudge', 'Elias Pruitt'),
    (20, 'Merrow, Dace and Sable', 21, 'Wendell Ash', 'Fia Cardew')
) AS c(id, legal_name, address_id, commercial_contact, delivery_contact);
