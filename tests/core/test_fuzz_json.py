"""Generated JSON against the strict reader and the scenario loader.

Plain JSON reads back as ``json`` reads it; the depth measured before parsing
is the true depth, whatever brackets and escaped quotes the strings hold; and
any text at all, or any damage to a good scenario, ends in a network or in one
``ScenarioError`` sentence.
"""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradlab import preset
from gradlab.errors import ScenarioError
from gradlab.network import Network
from gradlab.scenario import dumps, loads
from gradlab.strict_json import MAX_DEPTH, _depth, _structure
from gradlab.strict_json import loads as strict_loads

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = dumps(preset("mazur"))
tricky_text = st.text(alphabet=st.sampled_from('ab[]{}"\\,: \n\u2028é'), max_size=12)
values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**19, 10**19) | st.floats(allow_nan=False, allow_infinity=False) | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=20,
)


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    return 0


def ends_well(text: str | bytes) -> None:
    try:
        result: Network | str = loads(text)
    except ScenarioError as e:
        result = str(e)
    if isinstance(result, str):
        assert result and "\n" not in result and len(result) < 400
    else:
        assert isinstance(result, Network)


@FUZZ
@given(values)
def test_plain_json_reads_as_json_reads_it_and_its_depth_is_known_before(value):
    text = json.dumps(value, ensure_ascii=False)
    assert _depth(_structure(text.encode("utf-8", "surrogatepass"))) == depth(value)
    if depth(value) <= MAX_DEPTH:
        assert strict_loads(text) == json.loads(text)


@FUZZ
@given(st.text(max_size=200))
def test_any_text_is_a_network_or_one_sentence(text):
    ends_well(text)


@FUZZ
@given(st.integers(0, len(GOOD)), st.integers(0, 30), st.text(alphabet=st.sampled_from(list('[]{}",:0123456789.e-tn\\u')),
                                                              max_size=30))
def test_any_damage_to_a_good_scenario_is_a_network_or_one_sentence(at, cut, inserted):
    ends_well(GOOD[:at] + inserted + GOOD[at + cut:])


@FUZZ
@given(st.binary(max_size=64), st.integers(0, len(GOOD)))
def test_any_bytes_spliced_in_are_a_network_or_one_sentence(junk, at):
    ends_well(GOOD.encode()[:at] + junk + GOOD.encode()[at:])
