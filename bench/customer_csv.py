"""A realistic customer CSV of any size, streamed to disk: six markets and scripts,
people (85 %) and organizations, emails, phones written as people write them (national
and international), addresses, tags, owners. Deterministic for a seed.

    .venv/bin/python bench/customer_csv.py OUT.csv --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

MARKETS = [
    # country, language, given names, family names, phone formats (national/international)
    (
        "GB",
        "en",
        ["Oliver", "Amelia", "Harry", "Isla", "Jack", "Ava", "George", "Mia"],
        ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies"],
        ["07911 1{0:05d}", "+44 7911 1{0:05d}"],
    ),
    (
        "IL",
        "he",
        ["נועה", "יוסף", "מאיה", "דוד", "תמר", "אורי", "שירה", "איתי"],
        ["כהן", "לוי", "מזרחי", "פרץ", "ביטון", "דהן", "אברהם", "פרידמן"],
        ["052-2{0:06d}", "+972 52 2{0:06d}"],
    ),
    (
        "JO",
        "ar",
        ["محمد", "فاطمة", "أحمد", "ليلى", "عمر", "سارة", "يوسف", "نور"],
        ["الحداد", "النجار", "الخطيب", "العلي", "منصور", "حداد", "سليمان", "يوسف"],
        ["079 1{0:06d}", "+962 79 1{0:06d}"],
    ),
    (
        "AM",
        "hy",
        ["Արամ", "Անի", "Դավիթ", "Մարիամ", "Նարեկ", "Լիլիթ", "Տիգրան", "Սոնա"],
        ["Պետրոսյան", "Հարությունյան", "Սարգսյան", "Գրիգորյան", "Խաչատրյան", "Հովհաննիսյան"],
        ["091 {0:06d}", "+374 91 {0:06d}"],
    ),
    (
        "GE",
        "ka",
        ["გიორგი", "ნინო", "დავით", "მარიამ", "ლუკა", "ანა", "ნიკა", "თამარ"],
        ["ბერიძე", "კაპანაძე", "გელაშვილი", "მაისურაძე", "ლომიძე", "ჯაფარიძე"],
        ["555 1{0:05d}", "+995 555 1{0:05d}"],
    ),
    (
        "MY",
        "ms",
        ["Ahmad", "Siti", "Nurul", "Muhammad", "Aisyah", "Hafiz", "Amirah", "Farah"],
        ["bin Abdullah", "binti Ismail", "bin Hassan", "binti Rahman", "bin Yusof"],
        ["012-3{0:06d}", "+60 12-3{0:06d}"],
    ),
]
CITIES = {
    "GB": ["London", "Leeds"],
    "IL": ["תל אביב", "חיפה"],
    "JO": ["عمان", "إربد"],
    "AM": ["Երևան", "Գյումրի"],
    "GE": ["თბილისი", "ბათუმი"],
    "MY": ["Kuala Lumpur", "Penang"],
}
TAGS = ["vip", "newsletter", "wholesale", "retail", "event-2025", "partner-referral"]
STAGES = ["customer"] * 55 + ["prospect"] * 30 + ["lost"] * 10 + ["partner"] * 5
HEADER = [
    "external_id",
    "kind",
    "first_name",
    "last_name",
    "organization_name",
    "organization_external_id",
    "title",
    "email",
    "phone",
    "country",
    "city",
    "address",
    "language",
    "owner_email",
    "lifecycle_stage",
    "tags",
    "created_at",
]


def write_csv(path: Path, rows: int, *, seed: int = 1, owners: list[str] | None = None) -> None:
    rng = random.Random(seed)
    owners = owners or [""]
    organizations = max(1, rows // 50)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for n in range(rows):
            country, language, given, family, phones = MARKETS[n % len(MARKETS)]
            city = rng.choice(CITIES[country])
            created = f"20{rng.randint(15, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            tags = "|".join(rng.sample(TAGS, rng.randint(0, 2)))
            if n % 7 == 0:
                name = f"{rng.choice(family)} {rng.choice(['Ltd', 'Group', 'Trading'])} {n}"
                writer.writerow(
                    [
                        f"C{n:08d}",
                        "organization",
                        "",
                        "",
                        name,
                        "",
                        "",
                        f"info{n}@org{n}.example",
                        rng.choice(phones).format(n % 100000),
                        country,
                        city,
                        f"{rng.randint(1, 200)} Main Street",
                        "",
                        rng.choice(owners),
                        rng.choice(STAGES),
                        tags,
                        created,
                    ]
                )
                continue
            org = rng.randrange(organizations) * 7
            has_org = rng.random() < 0.3
            writer.writerow(
                [
                    f"C{n:08d}",
                    "person",
                    rng.choice(given),
                    rng.choice(family),
                    "",
                    f"C{org:08d}" if has_org else "",
                    "Buyer" if has_org else "",
                    f"p{n}@mail{n % 97}.example",
                    rng.choice(phones).format(n % 1000000 % 100000),
                    country,
                    city,
                    "",
                    language,
                    rng.choice(owners),
                    rng.choice(STAGES),
                    tags,
                    created,
                ]
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    write_csv(args.out, args.rows, seed=args.seed)


if __name__ == "__main__":
    main()
