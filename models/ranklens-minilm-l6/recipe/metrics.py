"""MRR@10 (MS MARCO's official definition) and nDCG@10 (trec_eval's ndcg_cut.10: graded gain, log2 discount,
ideal ranking from every judged passage of the query)."""
import math


def rr_at_10(ranking, judged, threshold):
    for i, pid in enumerate(ranking[:10]):
        if judged.get(pid, 0) >= threshold:
            return 1.0 / (i + 1)
    return 0.0


def ndcg_at_10(ranking, judged):
    dcg = sum(judged.get(pid, 0) / math.log2(i + 2) for i, pid in enumerate(ranking[:10]) if judged.get(pid, 0) > 0)
    ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def rank_by(scores):
    """Pids by score, highest first; ties as trec_eval breaks them: pid as a string, descending."""
    return [pid for pid, _ in sorted(sorted(scores.items(), key=lambda item: item[0], reverse=True), key=lambda item: -item[1])]
