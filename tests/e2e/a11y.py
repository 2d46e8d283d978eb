"""axe-core, run in the page through Playwright: serious and critical violations fail.

axe-core comes from npm (package.json) and is injected from node_modules, never
from a CDN. Moderate and minor findings are left to review, as the issue asks.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """The page's serious/critical axe violations (WCAG 2.x A and AA rules)."""
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `npm ci` (axe-core is pinned)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async (exclude) => {
            const context = exclude.length
                ? {include: [document], exclude: exclude.map((s) => [s])}
                : document;
            return await axe.run(context, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a',
                                                'wcag21aa', 'best-practice']},
                resultTypes: ['violations'],
            });
        }""",
        list(exclude),
    )
    return [v for v in result["violations"] if v["impact"] in FAILING_IMPACTS]


def assert_accessible(page, *, exclude: tuple[str, ...] = ()) -> None:
    """Fail with every serious/critical violation: rule id, help, target nodes."""
    violations = axe_violations(page, exclude=exclude)
    if violations:
        lines = [f"axe: {len(violations)} serious/critical violation(s) at {page.url}"]
        for violation in violations:
            lines.append(
                f"- [{violation['impact']}] {violation['id']}: {violation['help']}"
            )
            for node in violation["nodes"]:
                lines.append(f"    {node['target']} {node.get('failureSummary', '')!r}")
        raise AssertionError("\n".join(lines))
