"""`make bench`'s rounds: each target ratio is taken within its round, the median reported."""

from bench.ratios import Rounds


def result(seconds: float) -> dict:
    return {"seconds": seconds, "target_tokens": 100, "peak_rss_mb": seconds}


def test_ratios_are_per_round_and_systems_get_their_median_seconds():
    later = {"fast": iter([result(12.0), result(11.0)]), "slow": iter([result(18.0), result(30.0)])}
    rounds, systems = Rounds(), {}
    for name, first in (("fast", result(10.0)), ("slow", result(20.0))):
        systems[name] = rounds.track(name, first, lambda name=name: next(later[name]))
    rounds.again(3)
    rounds.medians(systems)

    # Round one's ratio from round one's seconds, not from the medians that replace them.
    assert [round(r, 3) for r in rounds.ratios("fast", "slow")] == [2.0, 1.5, 2.727]
    assert systems["fast"]["seconds"] == 11.0
    assert systems["fast"]["seconds_by_round"] == [10.0, 12.0, 11.0]
    assert systems["slow"]["tokens_per_second"] == 5.0
    assert systems["slow"]["peak_rss_mb"] == 30.0
