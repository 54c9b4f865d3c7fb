"""A ToteSys of a few rows per table, for the ingest tests (and what each table holds)."""

# A small, realistic ToteSys: millisecond timestamps (one whole second), money as numeric(10,2),
# NULLable columns, an apostrophe in an email, "Leds" (sic), enum columns and a payment batch.
SOURCE_ROWS = """
INSERT INTO currency VALUES
  (1, 'GBP', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (2, 'USD', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (3, 'EUR', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
INSERT INTO department VALUES
  (1, 'Sales', 'Manchester', 'Richard Roma', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (2, 'Purchasing', 'Leds', NULL, '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
INSERT INTO staff VALUES
  (1, 'Jeremie', 'Franey', 1, 'jeremie.franey@terrifictotes.com', '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563'),
  (2, 'Irving', 'O''Keefe', 2, 'irving.o''keefe@terrifictotes.com', '2022-11-03 14:20:51.563',
   '2022-11-03 14:20:51.563');
INSERT INTO address VALUES
  (1, '6826 Herzog Via', NULL, 'Avon', 'New Patienceburgh', '28441', 'Turkey', '1803 637401',
   '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (2, '179 Alexie Cliffs', 'Suite 1', NULL, 'Aliso Viejo', '99305-7380', 'San Marino', '9621 880720',
   '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
INSERT INTO counterparty VALUES
  (1, 'Fahey and Sons', 1, 'Micheal Toy', 'Mrs. Lucy Runolfsdottir', '2022-11-03 14:20:51.563',
   '2022-11-03 14:20:51.563'),
  (2, 'Leannon, Predovic and Morar', 2, NULL, NULL, '2022-11-03 14:20:51.563', '2022-11-03 14:20:51.563');
INSERT INTO payment_type VALUES
  (1, 'SALES_RECEIPT', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (2, 'SALES_REFUND', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (3, 'PURCHASE_PAYMENT', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962'),
  (4, 'PURCHASE_REFUND', '2022-11-03 14:20:49.962', '2022-11-03 14:20:49.962');
INSERT INTO design (design_id, created_at, design_name, file_location, file_name, last_updated) VALUES
  (1, '2022-11-03 14:20:49.962', 'Wooden', '/usr', 'wooden-20220717-npgz.json', '2022-11-03 14:20:49.962'),
  (2, '2023-01-12 18:50:09.935', 'Bronze', '/private', 'bronze-20221024-4dds.json', '2023-01-12 18:50:09.935');
INSERT INTO sales_order VALUES
  (1, '2024-02-05 09:26:10', '2024-02-05 09:26:10', 1, 1, 1, 100, 3.50, 1, '2024-02-08', '2024-02-07', 1),
  (2, '2024-02-05 10:14:42.186', '2024-02-05 10:14:42.186', 2, 1, 2, 42871, 2.94, 2, '2024-02-10', '2024-02-06', 2);
INSERT INTO purchase_order VALUES
  (1, '2024-02-05 11:01:03.017', '2024-02-05 11:01:03.017', 2, 1, 'ZDOI5EA', 371, 361.39, 2, '2024-02-07',
   '2024-02-09', 1);
INSERT INTO transaction VALUES
  (1, 'SALE', 1, NULL, '2024-02-05 09:26:10', '2024-02-05 09:26:10'),
  (2, 'SALE', 2, NULL, '2024-02-05 10:14:42.186', '2024-02-05 10:14:42.186'),
  (3, 'PURCHASE', NULL, 1, '2024-02-05 11:01:03.017', '2024-02-05 11:01:03.017');
INSERT INTO payment VALUES
  (1, '2024-02-05 09:26:10', '2024-02-05 09:26:10', 1, 1, 350.00, 1, 1, false, '2024-02-07', 67305075, 31622269),
  (2, '2024-02-05 10:14:42.186', '2024-02-05 10:14:42.186', 2, 2, 126040.74, 2, 1, false, '2024-02-06',
   81718079, 47839086),
  (3, '2024-02-05 11:01:03.017', '2024-02-05 11:01:03.017', 3, 1, 134075.69, 2, 3, false, '2024-02-09',
   66213052, 32948074);
"""
ROW_COUNTS = {
    "address": 2,
    "counterparty": 2,
    "currency": 3,
    "department": 2,
    "design": 2,
    "payment_type": 4,
    "staff": 2,
    "sales_order": 2,
    "purchase_order": 1,
    "transaction": 3,
    "payment": 3,
}
