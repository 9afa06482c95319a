import math

from training.topics.quality import ReferenceCorpus, npmi_coherence, topic_diversity


def test_npmi_rewards_words_that_occur_together():
    reference = ReferenceCorpus(["ракета пво", "ракеты пво", "блины мука", "блин мука", "ракета мука"])
    together = npmi_coherence([["ракета", "пво"]], reference)
    apart = npmi_coherence([["пво", "блины"]], reference)
    assert together > 0 > apart == -1.0
    assert math.isclose(npmi_coherence([["ракета", "несуществующее"]], reference), -1.0)


def test_diversity_is_the_share_of_unique_top_words():
    assert topic_diversity([["a", "b"], ["c", "d"]]) == 1.0
    assert topic_diversity([["a", "b"], ["a", "c"]]) == 0.75
