from __future__ import annotations

import json
from pathlib import Path

import pytest

from tiered_ci import durations as store
from tiered_ci.errors import InputError


def test_parse_reads_the_pytest_split_format() -> None:
    text = json.dumps({"tests/a.py::t": 1.5, "tests/a.py::u": 0, "tests/b.py::v": 2})

    assert store.parse(text, "d.json") == {
        "tests/a.py::t": 1.5,
        "tests/a.py::u": 0.0,
        "tests/b.py::v": 2.0,
    }


def test_parse_accepts_pytest_splits_old_list_of_pairs() -> None:
    assert store.parse('[["a.py::t", 1.5], ["a.py::u", 2]]', "d.json") == {
        "a.py::t": 1.5,
        "a.py::u": 2.0,
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{not json",
            (
                "d.json: not valid JSON (Expecting property name enclosed in double quotes at "
                'line 1 column 2); expected an object {"<node id>": seconds}'
            ),
        ),
        ("42", 'd.json: expected a JSON object {"<node id>": seconds}, got the number 42'),
        ('"x"', 'd.json: expected a JSON object {"<node id>": seconds}, got a string'),
        ('{"a.py::t": "1"}', "d.json: 'a.py::t': expected a number of seconds, got a string"),
        ('{"a.py::t": null}', "d.json: 'a.py::t': expected a number of seconds, got null"),
        ('{"a.py::t": true}', "d.json: 'a.py::t': expected a number of seconds, got a boolean"),
        ('{"a.py::t": -0.5}', "d.json: 'a.py::t': expected seconds from 0 to 1e+07, got -0.5"),
        ('{"a.py::t": NaN}', "d.json: 'a.py::t': expected seconds from 0 to 1e+07, got nan"),
        ('{"a.py::t": Infinity}', "d.json: 'a.py::t': expected seconds from 0 to 1e+07, got inf"),
        (
            '[["a.py::t"]]',
            (
                'd.json: entry 0: expected a ["<node id>", seconds] pair, got a list; '
                "the current format is an object"
            ),
        ),
    ],
    ids=[
        "not-json",
        "number",
        "string",
        "string-seconds",
        "null-seconds",
        "bool-seconds",
        "negative",
        "nan",
        "infinity",
        "bad-pair",
    ],
)
def test_parse_rejects_bad_documents(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        store.parse(text, "d.json")

    assert str(caught.value) == message
    assert caught.value.exit_code == 2


@pytest.mark.critical
def test_merge_later_documents_win_and_keep_drops_the_rest() -> None:
    committed = {"a.py::t": 1.0, "a.py::u": 2.0, "a.py::gone": 3.0}
    shard1 = {"a.py::t": 1.5}
    shard2 = {"a.py::u": 2.5, "a.py::new": 0.5}

    assert store.merge([committed, shard1, shard2]) == {
        "a.py::t": 1.5,
        "a.py::u": 2.5,
        "a.py::gone": 3.0,
        "a.py::new": 0.5,
    }
    assert store.merge([committed, shard1, shard2], keep=["a.py::t", "a.py::new"]) == {
        "a.py::t": 1.5,
        "a.py::new": 0.5,
    }


def test_dumps_is_sorted_and_indented_like_pytest_split() -> None:
    assert store.dumps({"b::t": 1.0, "a::t": 2.5}) == '{\n    "a::t": 2.5,\n    "b::t": 1.0\n}\n'


def test_parse_node_ids_reads_collect_only_output() -> None:
    output = (
        "tests/a.py::test_x\n"
        "tests/a.py::TestK::test_y[a b]\n"
        "tests/a.py::test_x\n"
        "\n"
        "3 tests collected in 0.01s\n"
    )

    assert store.parse_node_ids(output, "ids.txt") == [
        "tests/a.py::test_x",
        "tests/a.py::TestK::test_y[a b]",
    ]


def test_parse_node_ids_refuses_a_file_without_ids() -> None:
    with pytest.raises(InputError) as caught:
        store.parse_node_ids("no tests ran in 0.01s\n", "ids.txt")

    assert str(caught.value) == (
        "ids.txt: no test node ids found; expected one `path::test` a line, "
        "as printed by `pytest --collect-only -q`"
    )


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / ".test_durations"
    path.write_text("old", encoding="utf-8")

    store.write(path, {"a.py::t": 1.0})

    assert store.read(path) == {"a.py::t": 1.0}
    assert sorted(p.name for p in tmp_path.iterdir()) == [".test_durations"]


def test_read_missing_file_says_how_to_record_one(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        store.read(tmp_path / "nope.json")

    assert str(caught.value) == (
        f"{tmp_path / 'nope.json'}: durations file not found; "
        "record one with `pytest --record-durations`"
    )
