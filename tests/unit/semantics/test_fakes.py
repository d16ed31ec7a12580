"""Made-up values: fresh keys of the real keys' shape, Faker values per subtype, fake
text; never a real value, reproducible for a seed."""

from __future__ import annotations

import re
import uuid
import warnings

import numpy as np
import pytest

from mixsynth.errors import MixsynthError, MixsynthWarning
from mixsynth.semantics import fakes
from mixsynth.semantics.fakes import fake_text, fake_values
from mixsynth.semantics.keys import fresh_ids
from mixsynth.semantics.types import GENERIC_PII, PII_SUBTYPES

EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def quietly(function, *args, **kwargs):
    """Call, failing the test on any warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args, **kwargs)


def assert_fresh(new: np.ndarray, real, count: int) -> None:
    assert len(new) == count
    assert len(set(new.tolist())) == count, "ids repeat"
    assert not set(new.tolist()) & set(list(real)), "a real id was written"


# ---------------------------------------------------------------------------------
# Integer keys


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint16])
def test_integer_ids_start_at_the_power_of_ten_above_the_maximum(dtype):
    """They reveal neither the real maximum (250) nor the count, only 3 digits."""
    real = np.array([17, 3, 250, 42], dtype=dtype)
    new = quietly(fresh_ids, real, 5, rng())
    assert new.dtype == dtype
    assert new.tolist() == [1000, 1001, 1002, 1003, 1004]
    assert_fresh(new, real, 5)
    assert fresh_ids(np.array([999, 4]), 1, rng()).tolist() == [1000]


def test_integer_ids_that_do_not_fit_the_dtype_are_refused():
    # int8 cannot count from 1000: the keys continue after the maximum instead.
    with pytest.raises(MixsynthError, match="do not fit in int8") as error:
        fresh_ids(np.array([100, 120], dtype=np.int8), 10, rng())
    assert "text" in error.value.hint
    assert fresh_ids(np.array([100, 120], dtype=np.int8), 7, rng()).tolist()[-1] == 127


def test_whole_floats_with_missing_values_are_integer_ids():
    real = np.array([1.0, np.nan, 7.0, 3.0])
    new = fresh_ids(real, 3, rng())
    assert new.dtype == np.float64 and new.tolist() == [10.0, 11.0, 12.0]
    with pytest.raises(MixsynthError, match="decimals"):
        fresh_ids(np.array([1.5, 2.0]), 3, rng())


def test_zero_ids_and_no_real_ids():
    assert len(fresh_ids(np.array([1, 2]), 0, rng())) == 0
    assert fresh_ids(np.array([], dtype=np.int64), 3, rng()).tolist() == [10, 11, 12]
    assert len(fresh_ids(objects(["A-1"]), 0, rng())) == 0


# ---------------------------------------------------------------------------------
# Text keys


def test_text_ids_keep_prefix_length_and_digit_positions():
    real = objects([f"ACC-{n:05d}" for n in range(1, 2001)])
    new = quietly(fresh_ids, real, 3000, rng())
    assert_fresh(new, real, 3000)
    assert all(re.fullmatch(r"ACC-\d{5}", v) for v in new)
    assert new.dtype == object and all(type(v) is str for v in new)


def test_leading_zeros_every_key_has_are_kept():
    real = objects([f"00{n:03d}" for n in range(0, 1000, 7)])
    new = quietly(fresh_ids, real, 500, rng())
    assert_fresh(new, real, 500)
    assert all(re.fullmatch(r"00\d{3}", v) for v in new)


def test_each_position_keeps_its_character_class():
    # upper, upper, digit, lower, literal '_', hex digit (0-9 and a-f seen)
    generator = rng(5)
    letters, lower, hexdigits = (
        "ABCDEFGHJKLMNPQRSTUVWXYZ",
        "abcdefghijkmnopqrstuvwxyz",
        "0123456789abcdef",
    )
    real = objects(
        [
            generator.choice(list(letters))
            + generator.choice(list(letters))
            + str(generator.integers(10))
            + generator.choice(list(lower))
            + "_"
            + generator.choice(list(hexdigits))
            for _ in range(400)
        ]
    )
    real = objects(sorted(set(real)))
    new = quietly(fresh_ids, real, 1000, rng())
    assert_fresh(new, real, 1000)
    assert all(re.fullmatch(r"[A-Z]{2}[0-9][a-z]_[0-9a-f]", v) for v in new)
    # The classes are filled, not only the characters seen: I and O never occur in
    # the real keys but are upper-case letters.
    assert {v[0] for v in new} & {"I", "O"}


def test_lengths_follow_the_real_lengths():
    generator = rng(1)
    real = objects(
        [f"K{n:04d}" for n in generator.choice(10_000, 700, replace=False)]
        + [f"K{n:06d}" for n in generator.choice(1_000_000, 300, replace=False)]
    )
    count = 4000
    new = quietly(fresh_ids, real, count, rng())
    assert_fresh(new, real, count)
    lengths = np.array([len(v) for v in new])
    assert set(lengths.tolist()) == {5, 7}
    share = np.mean(lengths == 5)
    assert abs(share - 0.7) < 4 * np.sqrt(0.7 * 0.3 / count)
    assert all(v.startswith("K") and v[1:].isdigit() for v in new)


def test_uuid_keys_get_uuid4_keys_in_the_same_case():
    generator = rng(2)
    real = objects([str(uuid.UUID(bytes=generator.bytes(16), version=4)) for _ in range(300)])
    new = quietly(fresh_ids, real, 2000, rng())
    assert_fresh(new, real, 2000)
    assert all(UUID4.match(v) for v in new)
    upper = fresh_ids(objects([v.upper() for v in real]), 50, rng())
    assert all(UUID4.match(v.lower()) and v == v.upper() for v in upper)
    # The same seed would draw exactly these keys first: all must be redrawn.
    again = fresh_ids(objects([*real, *new]), 2000, rng())
    assert_fresh(again, [*real, *new], 2000)


def test_a_shape_too_small_is_lengthened_with_a_warning():
    real = objects([f"A{n}" for n in range(1, 10)])  # A1 .. A9: one free key (A0)
    with pytest.warns(MixsynthWarning, match="lengthened from 2 to 3 characters"):
        new = fresh_ids(real, 30, rng())
    assert_fresh(new, real, 30)
    assert all(re.fullmatch(r"A\d{1,2}", v) for v in new)


def test_a_single_real_key_still_gives_fresh_keys():
    new = fresh_ids(objects(["X"]), 5, rng())
    assert_fresh(new, ["X"], 5)
    assert all(v.startswith("X") for v in new)


def test_missing_values_are_ignored_and_mixed_types_refused():
    real = objects(["B-17", None, np.nan, "B-42"])
    new = fresh_ids(real, 4, rng())
    assert_fresh(new, ["B-17", "B-42"], 4)
    assert all(re.fullmatch(r"B-\d\d", v) for v in new)
    with pytest.raises(MixsynthError, match="mixes text with int"):
        fresh_ids(objects(["A1", 7]), 2, rng())


def test_long_keys_with_an_enormous_shape_space():
    """40 hex digits (a SHA-1): keys drawn position by position, still checked."""
    generator = rng(8)
    real = objects(["".join(generator.choice(list("0123456789abcdef"), 40)) for _ in range(300)])
    new = quietly(fresh_ids, real, 500, rng())
    assert_fresh(new, real, 500)
    assert all(re.fullmatch(r"[0-9a-f]{40}", v) for v in new)


def test_numpy_strings_in_an_object_array_are_text_keys():
    new = fresh_ids(objects([np.str_("B-17"), "B-42", None]), 3, rng())
    assert_fresh(new, ["B-17", "B-42"], 3)


def test_no_real_text_keys_gives_random_keys():
    new = fresh_ids(objects([None]), 100, rng())
    assert_fresh(new, [], 100)
    assert all(re.fullmatch(r"[0-9A-Za-z]{8}", v) for v in new)


def test_ids_are_reproducible_for_a_seed():
    real = objects([f"ACC-{n:05d}" for n in range(1, 200)])
    first, again = fresh_ids(real, 300, rng(9)), fresh_ids(real, 300, rng(9))
    assert first.tolist() == again.tolist()
    assert first.tolist() != fresh_ids(real, 300, rng(10)).tolist()


def test_many_ids_from_a_dense_pattern():
    """Most of the pattern taken: drawn from the free keys without replacement."""
    real = objects([f"C{n:05d}" for n in range(0, 100_000, 4)])
    new = quietly(fresh_ids, real, 60_000, rng())
    assert_fresh(new, real, 60_000)
    assert all(re.fullmatch(r"C\d{5}", v) for v in new)


def test_many_ids_speed_sanity():
    """Not timed (benchmarks/bench_fakes.py measures): 200,000 keys in one call."""
    real = objects([f"CUS-{n:07d}" for n in range(0, 400_000, 2)])
    new = quietly(fresh_ids, real, 200_000, rng())
    assert_fresh(new, real, 200_000)


# ---------------------------------------------------------------------------------
# Faker values


def test_emails_look_like_emails_and_are_unique():
    values = quietly(fake_values, "email", 500, rng())
    assert all(EMAIL.match(v) for v in values)
    assert len(set(values.tolist())) == 500


def test_phone_numbers_are_mostly_digits():
    values = fake_values("phone_number", 300, rng())
    digits = np.array([sum(c.isdigit() for c in v) / len(v) for v in values])
    assert np.all(digits >= 0.5) and np.mean(digits) > 0.7


@pytest.mark.parametrize(
    ("template", "pattern"),
    [("({}) {}-{}", r"\(\d{3}\) \d{3}-\d{4}"), ("+1.{}.{}.{}", r"\+1\.\d{3}\.\d{3}\.\d{4}")],
)
def test_phone_numbers_keep_the_real_columns_format(template, pattern):
    generator = np.random.default_rng(8)
    real = [
        template.format(*(f"{generator.integers(10**k):0{k}d}" for k in (3, 3, 4)))
        for _ in range(200)
    ]
    values = fake_values("phone_number", 300, rng(), real=objects(real))
    assert all(re.fullmatch(pattern, v) for v in values)
    assert not set(values.tolist()) & set(real)


def test_phone_numbers_of_mixed_formats_each_follow_one_real_format():
    """Faker's en_US numbers mix formats of one length ("(859)367-3825",
    "614.458.4030x92"): a fake takes one real value's format whole, so it has its
    separators and extension mark, never a blend such as "688-447.3346y209"."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(2)
    real = [fake.phone_number() for _ in range(400)]
    shapes = {re.sub(r"\d", "9", value) for value in real}
    values = fake_values("phone_number", 500, rng(), real=objects(real))
    assert all(re.sub(r"\d", "9", v) in shapes for v in values)
    assert not set(values.tolist()) & set(real)
    international = [v for v in values if v.startswith("+")]
    assert international and all(v.startswith("+1-") for v in international)


def test_addresses_are_one_line():
    values = fake_values("address", 100, rng())
    assert not any("\n" in v for v in values)
    assert all(", " in v for v in values)
    assert all(re.search(r"[A-Z]{2} \d{5}$", v) for v in values)  # "City, ST 12345"


def test_every_subtype_gives_strings_in_every_locale_tried():
    for locale in ("en_US", "de_DE", "fr_FR", "ja_JP"):
        for subtype in PII_SUBTYPES:
            values = fake_values(subtype, 5, rng(), locale)
            assert values.dtype == object and all(type(v) is str and v for v in values)


def test_the_locale_is_used():
    german = fake_values("address", 50, rng(), "de_DE")
    assert all(re.search(r", \d{5} \w", v) for v in german)  # "Straße 3, 12345 Stadt"
    assert german.tolist() != fake_values("address", 50, rng(), "en_US").tolist()


TITLES = {
    "Mr.",
    "Mrs.",
    "Ms.",
    "Miss",
    "Dr.",
    "Jr.",
    "II",
    "III",
    "IV",
    "V",
    "MD",
    "DDS",
    "PhD",
    "DVM",
}


def titled_share(names) -> float:
    return float(np.mean([n.split()[0] in TITLES or n.split()[-1] in TITLES for n in names]))


def test_fake_names_carry_titles_as_often_as_the_real_ones():
    """Faker's en_US formats, drawn uniformly, put a title on three names in four
    ("Dr. Bridget Eaton MD"); names of a customer table have none, and so do their
    fakes. Where half the real names have one, so do half the fakes (4 binomial SEs)."""
    plain = objects(["Dennis Turner", "Carol Long", "Ann Lee", "Raj Patel"] * 25)
    assert titled_share(fake_values("name", 2000, rng(1), real=plain)) == 0
    assert titled_share(fake_values("name", 2000, rng(1))) > 0.5  # no real names: Faker's
    half = objects(["Dr. Ann Lee", "Raj Patel", "Carol Long MD", "Dennis Turner"] * 25)
    share = titled_share(fake_values("name", 2000, rng(2), real=half))
    assert abs(share - 0.5) <= 4 * np.sqrt(0.25 / 2000)


def test_fakes_are_reproducible_for_a_seed():
    first = fake_values("name", 200, rng(4))
    assert first.tolist() == fake_values("name", 200, rng(4)).tolist()
    assert first.tolist() != fake_values("name", 200, rng(5)).tolist()


def test_a_real_value_is_never_written():
    # The same seed would draw exactly these values first: all must be replaced.
    real = fake_values("email", 300, rng(7))
    again = fake_values("email", 300, rng(7), real=real)
    assert not set(again.tolist()) & set(real.tolist())
    assert len(set(again.tolist())) == 300
    names = fake_values("first_name", 100, rng(3))
    assert not set(fake_values("first_name", 1000, rng(3), real=names).tolist()) & set(names)


def test_large_outputs_sample_a_pool_of_distinct_values(monkeypatch):
    monkeypatch.setattr(fakes, "FAKE_POOL", 40)
    values = fake_values("email", 500, rng())
    assert len(set(values.tolist())) == 40
    assert len(set(fake_values("email", 40, rng()).tolist())) == 40


def test_a_subtype_whose_every_value_is_real_is_refused():
    from faker.providers.address.en_US import Provider

    with pytest.raises(MixsynthError, match="categorical"):
        fake_values("country", 10, rng(), real=objects(Provider.countries))


def test_generic_personal_data_keeps_the_shape_and_is_never_real():
    real = objects([f"WVW{n:04d}Z" for n in range(0, 10_000, 3)] + [None])
    values = quietly(fake_values, GENERIC_PII, 5000, rng(), real=real)
    assert all(re.fullmatch(r"WVW\d{4}Z", v) for v in values)
    assert not set(values.tolist()) & set(real.tolist())
    assert len(fake_values(GENERIC_PII, 10, rng())) == 10  # no real values to imitate


def test_unknown_subtype_and_locale_are_refused_with_a_suggestion():
    with pytest.raises(MixsynthError, match="did you mean 'email'") as error:
        fake_values("emial", 3, rng())
    assert "phone_number" in error.value.hint
    with pytest.raises(MixsynthError, match="did you mean 'de_DE'"):
        fake_values("email", 3, rng(), locale="de-DE")
    with pytest.raises(MixsynthError, match="unknown locale 'xx_YY'"):
        fake_text(3, rng(), "xx_YY", np.array([20]))


# ---------------------------------------------------------------------------------
# Fake text


def test_fake_text_follows_the_real_lengths():
    short = fake_text(300, rng(), "en_US", np.array([30]))
    long = fake_text(300, rng(), "en_US", np.array([400]))
    assert all(0 < len(v) <= 30 for v in short)
    assert all(len(v) <= 400 for v in long)
    assert np.mean([len(v) for v in long]) > 200  # Faker fills most of the room
    tiny = fake_text(50, rng(), "en_US", np.array([3]))
    assert all(v.isalpha() for v in tiny)  # one word


def test_fake_text_is_reproducible_and_never_real():
    lengths = np.array([20, 80, 200])
    first = fake_text(100, rng(6), "en_US", lengths)
    assert first.tolist() == fake_text(100, rng(6), "en_US", lengths).tolist()
    again = fake_text(100, rng(6), "en_US", lengths, real=first)
    assert not set(again.tolist()) & set(first.tolist())


def test_fake_text_in_another_locale():
    values = fake_text(20, rng(), "de_DE", np.array([120]))
    assert values.tolist() != fake_text(20, rng(), "en_US", np.array([120])).tolist()


def test_large_text_outputs_take_the_pool_text_of_the_nearest_length(monkeypatch):
    monkeypatch.setattr(fakes, "TEXT_POOL", 60)
    lengths = np.array([20, 300])
    values = fake_text(1000, rng(), "en_US", lengths)
    assert len(set(values.tolist())) <= 60
    sizes = np.array([len(v) for v in values])
    # Two clusters, as in the real lengths: short texts and long ones.
    assert np.all((sizes <= 20) | (sizes > 150))
    assert 0.4 < np.mean(sizes <= 20) < 0.6
