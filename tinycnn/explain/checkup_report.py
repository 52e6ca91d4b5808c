"""What the training check-up says: one verdict and one reason per check, and the table.

Verdicts: "ok", "warn" (worth a look), "FAIL" (training will not work as it is), "skip" (the
check does not apply to this model). The printed table has one line per check, then one line
per layer with what the checks measured there:

    check              verdict  reason
    initial loss       ok       loss 2.303 on these images; ln(10) = 2.303: ...
    ...
    layer (type)       dead ReLUs: start   after   zeros   update / weight
    conv2d (Conv2D)               0 of 32  0 of 32   56%           1.2e-02
"""

from typing import NamedTuple


class Check(NamedTuple):
    """One line of the check-up: its name, the verdict and a one-line reason."""

    name: str
    verdict: str
    reason: str


class Checkup:
    """The check-up's findings: ``checks`` (a list of Check), ``layers`` (one dict per layer:
    name, type, relu_units, dead_at_start, dead_after, zeros, update_ratio), ``ok`` (no
    FAIL), and the printed table as ``str(checkup)``."""

    def __init__(self, title, checks, layers):
        self.title, self.checks, self.layers = title, checks, layers

    @property
    def ok(self):
        return all(check.verdict != "FAIL" for check in self.checks)

    def __getitem__(self, name):
        for check in self.checks:
            if check.name == name:
                return check
        raise KeyError(f"no check named {name!r}: the checks are "
                       + ", ".join(check.name for check in self.checks))

    def __str__(self):
        width = max(len(check.name) for check in self.checks) + 2
        lines = [self.title, f"{'check':<{width}}{'verdict':<9}reason"]
        lines += [f"{check.name:<{width}}{check.verdict:<9}{check.reason}"
                  for check in self.checks]
        named = [f"{row['name']} ({row['type']})" for row in self.layers]
        width = max(len(text) for text in named) + 2
        lines += ["", f"{'layer (type)':<{width}}{'dead ReLUs: start':>19}{'after':>11}"
                      f"{'zeros':>8}{'update / weight':>17}"]
        for text, row in zip(named, self.layers, strict=True):
            relu = row["relu_units"]
            start = f"{row['dead_at_start']} of {relu}" if relu else "-"
            after = (f"{row['dead_after']} of {relu}"
                     if relu and row["dead_after"] is not None else "-")
            zeros = f"{row['zeros']:.0%}" if relu else "-"
            ratio = f"{row['update_ratio']:.1e}" if row["update_ratio"] is not None else "-"
            lines.append(f"{text:<{width}}{start:>19}{after:>11}{zeros:>8}{ratio:>17}")
        return "\n".join(lines)

    def __repr__(self):
        verdicts = ", ".join(f"{check.name}: {check.verdict}" for check in self.checks)
        return f"Checkup({verdicts})"
