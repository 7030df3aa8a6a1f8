"""Hypothesis strategies for what a browser (or an attacker) can put in a form field."""
from hypothesis import strategies as st

# Text a form can carry: any Unicode except lone surrogates (not encodable in a request), NUL included.
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
long_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=200, max_size=3000)
date_text = st.one_of(
    st.dates().map(lambda value: value.isoformat()),
    st.sampled_from(["2025-02-30", "2025-13-01", "31/12/2025", "12/31/2025", "0000-01-01", "9999-12-31",
                     "2025-1-1", "20250101", "yesterday", " 2025-01-10 ", "2025-01-10T00:00:00", "-2025-01-01"]),
)
number_text = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["NaN", "Infinity", "-0", "1e309", "0x10", "1_000", "١٢٣", "12.", ".5", "1,5"]),
)


def junk(*extra):
    """Any value a field could receive: text, dates, numbers, or values valid for some field."""
    return st.one_of(st.just(""), any_text, long_text, date_text, number_text, st.sampled_from(extra or [""]))
