"""The shared model's dispatch policy (backends/feeding.py): which waiting worker batches
the model decodes next, and how its results go back to each worker's batch."""

from __future__ import annotations

from backends import Decoding, Hypothesis
from backends.feeding import PendingGroups, Request, settled

BUDGET = 100  # source tokens of a full model batch


def request(length: int, segments: int, client: str = "a", at: float = 0.0, beam: int = 0):
    decoding = Decoding(beam_size=beam) if beam else None
    tokens = [["▁x"] * length] * segments
    return Request(client, 0, tokens, ["en"] * segments, decoding, arrived=at)


def groups_with(*requests: Request, max_wait: float = 10.0) -> PendingGroups:
    groups = PendingGroups(BUDGET, max_wait)
    for one in requests:
        groups.add(one)
    return groups


def test_a_full_group_goes_first_even_while_the_model_is_busy():
    small, full_1, full_2 = request(5, 2), request(10, 6), request(10, 4)
    groups = groups_with(small, full_1, full_2)
    assert groups.next_batches(now=1, in_flight=1, replicas=1) == [[full_1, full_2]]
    assert groups.reasons == {"full": 1}
    # a busy model gets no group that is not full: it grows while the GPU works
    assert groups.next_batches(now=1, in_flight=1, replicas=1) == []
    # two batches per replica in flight: nothing more, full or not
    groups.add(request(10, 10))
    assert groups.next_batches(now=1, in_flight=2, replicas=1) == []


def test_an_idle_model_gets_the_fullest_group():
    short, long_1, long_2 = request(2, 10), request(8, 3), request(8, 2)
    groups = groups_with(short, long_1, long_2)
    assert groups.next_batches(now=1, in_flight=0, replicas=1) == [[long_1, long_2]]
    assert groups.next_batches(now=1, in_flight=1, replicas=2) == [[short]]
    assert groups.next_batches(now=1, in_flight=0, replicas=1) == []  # nothing waits
    assert groups.reasons == {"idle": 2}


def test_lengths_and_decodings_are_never_mixed_and_a_batch_stays_within_the_budget():
    greedy, beam = request(10, 4), request(10, 5, beam=4)
    over = [request(10, 4) for _ in range(2)]
    groups = groups_with(greedy, beam, *over)
    first = groups.next_batches(now=1, in_flight=0, replicas=1)
    assert first == [[greedy, *over[:1]]]  # 120 tokens would pass the budget of 100
    assert groups.next_batches(now=1, in_flight=0, replicas=1) == [[beam]]
    assert groups.next_batches(now=1, in_flight=0, replicas=1) == [[over[1]]]
    alone = request(50, 3)  # over the budget by itself: sent whole
    assert groups_with(alone).next_batches(now=1, in_flight=0, replicas=1) == [[alone]]


def test_no_request_waits_past_its_bound_while_fuller_groups_keep_coming():
    rare = request(7, 1, at=0.0)
    groups = groups_with(rare, request(3, 20, at=0.5), max_wait=2.0)
    for now in (1.0, 1.5):
        groups.add(request(3, 20, at=now))
        taken = groups.next_batches(now=now, in_flight=0, replicas=1)
        assert rare not in taken[0]  # the fullest group goes while `rare` is young
    groups.add(request(3, 30, at=2.0))
    assert groups.next_batches(now=2.0, in_flight=1, replicas=1) == [[rare]]
    assert groups.reasons["due"] == 1


def test_a_batch_its_worker_waits_for_is_sent_next():
    mine, later, other = request(4, 1, "me"), request(5, 1, "me"), request(6, 10, "other")
    later.number = 1
    groups = groups_with(mine, later, other)
    assert groups.next_batches(now=1, in_flight=1, replicas=1) == []
    groups.hurry("me", [0])
    assert groups.next_batches(now=1, in_flight=1, replicas=1) == [[mine]]
    assert groups.next_batches(now=1, in_flight=1, replicas=1) == []  # none other waited for


def test_bucket_feeding_sends_every_waiting_group_when_the_model_has_room():
    groups = PendingGroups(BUDGET, max_wait=10, eager=True)
    short, long_1, long_2, over = request(2, 1), request(9, 5), request(9, 5), request(9, 5)
    for one in (short, long_1, long_2, over):
        groups.add(one)
    assert groups.next_batches(now=0, in_flight=2, replicas=1) == []
    batches = groups.next_batches(now=0, in_flight=1, replicas=1)
    assert batches == [[long_1, long_2], [over], [short]]  # longest sources first
    assert groups.reasons == {"eager": 3}


def test_each_request_gets_its_own_slice_of_the_model_batch():
    a, b, c = request(3, 2, client="a"), request(3, 1, client="b"), request(3, 3, client="c")
    hypotheses = [Hypothesis(str(i), 0.0, 3, False) for i in range(6)]
    shares = settled([a, b, c], hypotheses)
    assert [(r.client, [h.text for h in share]) for r, share in shares] == [
        ("a", ["0", "1"]),
        ("b", ["2"]),
        ("c", ["3", "4", "5"]),
    ]
    error = RuntimeError("out of memory")
    assert [share for _, share in settled([a, b], error)] == [error, error]
