"""The template miner: online clustering, refinement, determinism."""

from __future__ import annotations

import random

from statusd.mining.miner import TemplateMiner, collapse, generalize, score


def mine(lines: list[str]) -> list[str]:
    """Each line's final template."""
    miner = TemplateMiner()
    ids = miner.add_all(lines)
    final = miner.assignments()
    return [final[i].template for i in ids]


def test_score_counts_constants_and_ignores_shared_wildcards() -> None:
    assert score(["a", "b", "<*>"], ["a", "b", "<*>"]) == 1.0
    assert score(["a", "b", "c"], ["a", "x", "c"]) == 2 / 3
    assert score(["a", "b", "c"], ["x", "b", "c"]) == 2 / 4  # the first word counts twice
    assert score(["<*>", "<*>"], ["<*>", "<*>"]) == 0.0  # nothing to go on
    assert score(["a", "<*>"], ["a", "b"]) == 1 / 1.5
    assert score(["k=<*>", "x"], ["k=v", "x"]) == 1.5 / 1.5


def test_generalize_keeps_keys() -> None:
    template = ["status=ok", "user", "alice"]
    assert generalize(template, ["status=failed", "user", "bob"])
    assert template == ["status=<*>", "user", "<*>"]
    assert not generalize(template, ["status=x", "user", "carol"])


def test_collapse() -> None:
    assert collapse(["a", "<*>", "<*>", "b", "<*>"]) == ("a", "<*>", "b", "<*>")


def test_groups_lines_with_word_and_masked_variables() -> None:
    lines = [f"User {u} logged in from 10.0.0.{i} port {1000 + i}"
             for i, u in enumerate(["alice", "bob", "carol", "dave"])]
    lines += [f"Connection closed by 10.1.1.{i}" for i in range(3)]
    assert mine(lines) == ["User <*> logged in from <*> port <*>"] * 4 + [
        "Connection closed by <*>"] * 3


def test_distinct_leading_words_stay_apart() -> None:
    lines = ["tickTime set to 2000", "minSessionTimeout set to 4000", "tickTime set to 3000",
             "maxSessionTimeout set to 40000"]
    assert len(set(mine(lines))) == 3


def test_a_leading_word_with_many_values_is_a_variable() -> None:
    states = ["LOOKING", "FOLLOWING", "LEADING", "OBSERVING"]
    lines = [f"{s} - LEADER ELECTION TOOK - {n}" for n, s in enumerate(states * 3)]
    assert set(mine(lines)) == {"<*> - LEADER ELECTION TOOK - <*>"}


def test_free_text_after_a_label_is_one_variable() -> None:
    reasons = ["Connection reset by peer", "Broken pipe", "No space left on device",
               "Stream closed"]
    lines = [f"writeBlock blk_{i} received exception java.io.IOException: {r}"
             for i, r in enumerate(reasons * 3)]
    assert set(mine(lines)) == {"writeBlock <*> received exception java.io.IOException: <*>"}


def test_variables_of_several_words_merge_across_lengths() -> None:
    lines = ["Job a b done in 3s", "Job c d done in 4s", "Job e done in 5s", "Job f done in 6s",
             "Job g h done in 7s"]
    assert set(mine(lines)) == {"Job <*> done in <*>"}


def test_different_messages_of_one_length_stay_apart() -> None:
    lines = ["Starting service cron", "Stopping service cron", "Starting service ssh",
             "Stopping service ssh"] * 2
    assert len(set(mine(lines))) == 2


def test_deterministic_and_independent_of_call_pattern() -> None:
    rng = random.Random(3)
    lines = [f"{rng.choice(['GET', 'PUT'])} /x/{rng.randint(1, 9)} took {rng.randint(1, 99)}ms"
             for _ in range(200)]
    a = TemplateMiner()
    ids_a = a.add_all(lines)
    b = TemplateMiner()
    ids_b = [b.add(line) for line in lines]
    assert ids_a == ids_b
    assert [(g.id, g.template, g.count) for g in a.groups()] == [
        (g.id, g.template, g.count) for g in b.groups()]


def test_groups_count_every_line_once_and_miner_keeps_streaming() -> None:
    miner = TemplateMiner()
    miner.add_all([f"worker {i} started" for i in range(5)])
    first = miner.groups()
    assert sum(g.count for g in first) == 5
    miner.add_all([f"worker {i} stopped" for i in range(3)])
    second = miner.groups()
    assert sum(g.count for g in second) == 8
    assert {g.template for g in second} == {"worker <*> started", "worker <*> stopped"}
    assert sorted(m for g in second for m in g.members) == list(range(len(miner.clusters)))
