"""Every part of the five seed worksheets is claimed by a problem of the seed bank (field `seeds:`)."""

from symgrad.documents.bank import load_bank

SEED_PARTS = (
    [f"000 §1({c})" for c in "abcdefgh"] + [f"000 §2({c})" for c in "abcdef"]
    + [f"001 §2({c})" for c in "abcdefg"]
    + [f"002 §1({c})" for c in "ab"] + [f"002 §2.1({c})" for c in "abcd"] + [f"002 §2.2({c})" for c in "abc"]
    + [f"002 §3({c})" for c in "ab"]
    + [f"003 ({n})" for n in range(1, 12)]
    + [f"004 §1({c})" for c in "abcd"] + [f"004 §2({c})" for c in "abc"] + [f"004 §3({c})" for c in "abc"]
    + [f"004 §4({c})" for c in "abcd"]
)


def test_the_seeds_have_57_parts():
    assert len(SEED_PARTS) == 57 and len(set(SEED_PARTS)) == 57


def test_every_seed_part_is_claimed_by_a_problem():
    claimed = {label for p in load_bank() for label in p.seeds}
    missing = [label for label in SEED_PARTS if label not in claimed]
    assert missing == [], f"seed parts no problem covers: {missing}"


def test_no_problem_claims_a_part_the_seeds_do_not_have():
    unknown = {(p.id, label) for p in load_bank() for label in p.seeds if label not in SEED_PARTS}
    assert unknown == set()


def test_every_seed_bank_problem_names_its_seed_parts():
    assert [p.id for p in load_bank() if not p.seeds] == []
