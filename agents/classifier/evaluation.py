"""Scoring a classifier on labelled rows: what ``bench/classify.py`` prints and what
``trademate model train`` stores in ``classifier_models.metrics``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from .base import CATEGORIES, Classification
from .corpus import Row

REPORTED_LANGUAGES = ("en", "zh", "es", "pt", "fr")


def category_report(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1/support, macro-F1, accuracy and the confusion matrix
    (rows = truth, columns = prediction, both in CATEGORIES order)."""
    labels = list(CATEGORIES)
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0
    )
    present = [i for i, n in enumerate(support) if n > 0]
    per_class = {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }
    correct = sum(t == p for t, p in zip(truth, predicted, strict=True))
    return {
        # Macro over the classes that occur, so a language without (say) spam rows is not
        # punished for a class it cannot have.
        "macro_f1": round(float(sum(f1[i] for i in present) / max(1, len(present))), 4),
        "accuracy": round(correct / max(1, len(truth)), 4),
        "rows": len(truth),
        "per_class": per_class,
        "confusion": {
            "labels": labels,
            "matrix": confusion_matrix(truth, predicted, labels=labels).tolist(),
        },
    }


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean |accuracy - confidence| over confidence bins, weighted by bin size: how far
    ``confidence`` is from the share of predictions that are right (0 = calibrated)."""
    edges = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01)
    total = 0.0
    for low, high in zip(edges, edges[1:], strict=False):
        bin_ = [(c, ok) for c, ok in zip(confidences, correct, strict=True) if low <= c < high]
        if bin_:
            accuracy = sum(ok for _, ok in bin_) / len(bin_)
            mean_confidence = sum(c for c, _ in bin_) / len(bin_)
            total += abs(accuracy - mean_confidence) * len(bin_)
    return round(total / max(1, len(confidences)), 4)


def evaluate(rows: Sequence[Row], results: Sequence[Classification]) -> dict[str, Any]:
    """Category scores overall and per language, language-id and sub-intent accuracy."""
    truth = [r.category for r in rows]
    predicted = [c.category for c in results]
    report = category_report(truth, predicted)
    report["per_language"] = {}
    for language in REPORTED_LANGUAGES:
        idx = [i for i, r in enumerate(rows) if r.language == language]
        if idx:
            sub = category_report([truth[i] for i in idx], [predicted[i] for i in idx])
            del sub["confusion"]
            report["per_language"][language] = sub
    detected = [c.language == r.language for r, c in zip(rows, results, strict=True)]
    report["language_id"] = {
        "accuracy": round(sum(detected) / max(1, len(rows)), 4),
        "per_language": {
            language: round(
                sum(detected[i] for i, r in enumerate(rows) if r.language == language)
                / max(1, sum(r.language == language for r in rows)),
                4,
            )
            for language in REPORTED_LANGUAGES
            if any(r.language == language for r in rows)
        },
    }
    report["calibration_ece"] = expected_calibration_error(
        [c.confidence for c in results], [t == p for t, p in zip(truth, predicted, strict=True)]
    )
    # Sub-intents are judged only where the row has one and the category was right.
    judged = [
        (r.sub_intent, c.sub_intent)
        for r, c in zip(rows, results, strict=True)
        if r.sub_intent and r.source == "examples" and c.category == r.category
    ]
    report["sub_intent"] = {
        "accuracy": round(sum(a == b for a, b in judged) / max(1, len(judged)), 4),
        "rows": len(judged),
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    """A plain-text rendering of :func:`evaluate`'s result."""
    lines = [
        f"rows {report['rows']}  macro-F1 {report['macro_f1']:.4f}  "
        f"accuracy {report['accuracy']:.4f}",
        "",
        f"{'category':<16}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}",
    ]
    for label, s in report["per_class"].items():
        lines.append(
            f"{label:<16}{s['precision']:>10.4f}{s['recall']:>10.4f}{s['f1']:>10.4f}"
            f"{s['support']:>9}"
        )
    labels = report["confusion"]["labels"]
    short = [label[:8] for label in labels]
    lines += ["", "confusion (rows = truth, columns = predicted)"]
    lines.append(" " * 16 + "".join(f"{s:>9}" for s in short))
    for label, counts in zip(labels, report["confusion"]["matrix"], strict=True):
        lines.append(f"{label:<16}" + "".join(f"{n:>9}" for n in counts))
    lines += ["", f"{'language':<10}{'rows':>7}{'macro-F1':>10}{'accuracy':>10}{'lang-id':>9}"]
    for language, s in report["per_language"].items():
        lang_id = report["language_id"]["per_language"].get(language, 0.0)
        lines.append(
            f"{language:<10}{s['rows']:>7}{s['macro_f1']:>10.4f}{s['accuracy']:>10.4f}"
            f"{lang_id:>9.4f}"
        )
    lines += [
        "",
        f"language-id accuracy {report['language_id']['accuracy']:.4f}",
        f"calibration: expected calibration error {report['calibration_ece']:.4f}",
        f"sub-intent accuracy {report['sub_intent']['accuracy']:.4f} "
        f"({report['sub_intent']['rows']} labelled rows with the right category)",
    ]
    return "\n".join(lines)
