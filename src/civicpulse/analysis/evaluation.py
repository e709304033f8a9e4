"""Accuracy, macro-F1 and confusion matrices, shared by training (model cards) and benchmarks/accuracy.py."""

from __future__ import annotations

from collections.abc import Sequence


def scores(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict:
    n = len(gold)
    matrix = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, pred, strict=True):
        matrix[g][p] += 1
    f1s, recalls, per_label, weighted = [], [], {}, 0.0
    for label in labels:
        tp = matrix[label][label]
        support = sum(matrix[label].values())
        predicted = sum(matrix[g][label] for g in labels)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = f1
        if support:
            recalls.append(recall)
            f1s.append(f1)
            weighted += f1 * support
    correct = sum(matrix[label][label] for label in labels)
    return {"n": n, "accuracy": correct / n if n else 0.0, "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
            "macro_recall": sum(recalls) / len(recalls) if recalls else 0.0,
            "weighted_f1": weighted / n if n else 0.0, "per_label_f1": per_label, "confusion": matrix}


def multilabel_scores(gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]) -> dict:
    """Micro and macro F1 over labels, and the share of texts whose label set is exactly right."""
    per_label = {}
    tp_all = fp_all = fn_all = 0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, pred, strict=True) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, pred, strict=True) if label in g and label not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
        per_label[label] = {"f1": f1, "support": tp + fn}
    supported = [v["f1"] for v in per_label.values() if v["support"]]
    exact = sum(1 for g, p in zip(gold, pred, strict=True) if set(g) == set(p))
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all + fp_all + fn_all else 0.0
    return {"n": len(gold), "micro_f1": micro, "macro_f1": sum(supported) / len(supported) if supported else 0.0,
            "exact_match": exact / len(gold) if gold else 0.0, "per_label": per_label}


def format_confusion(matrix: dict[str, dict[str, int]]) -> str:
    labels = list(matrix)
    width = max(8, *(len(label) for label in labels))
    lines = ["gold \\ pred".ljust(width) + "".join(label[:8].rjust(9) for label in labels)]
    lines += [g.ljust(width) + "".join(str(matrix[g][p]).rjust(9) for p in labels) for g in labels]
    return "\n".join(lines)
