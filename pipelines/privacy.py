"""Personal-data detection and masking.

Detection is exact (check digits, Luhn) and decides which rows are quarantined.
Masking is deliberately broader than detection: any long digit run or
anything shaped like an e-mail address is replaced before a value is stored
in quarantine, written to a log or shown in a message, so a near-miss of a
real identifier is never written either.

The patterns are RE2-compatible (no look-around) so DuckDB can run the same
text in SQL; Python applies the exact checks on the few rows SQL flags.
"""

from __future__ import annotations

import re

# The shape of each identifier, written once in syntax both Python's re and RE2 (DuckDB)
# run: the exact finders below add look-around boundaries (Python only), the SQL
# prefilter the same boundaries as plain alternatives. Check digits (resident ID,
# Luhn) are then verified in Python on the few rows SQL flags.
MOBILE_SHAPE = r"(?:\+?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}"
RESIDENT_ID_SHAPE = r"[0-9]{17}[0-9Xx]"
CARD_SHAPE = r"(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2,3}(?:[ -]?[0-9]{1,3})?)"
# Boundaries are digits only (a resident ID's also letters after it): a phone number
# glued to letters ("tel13812345678") still counts.
_SHAPES = ((MOBILE_SHAPE, "0-9"), (RESIDENT_ID_SHAPE, "0-9A-Za-z"), (CARD_SHAPE, "0-9"))

PREFILTER_SQL = "@" + "".join(f"|(^|[^0-9]){shape}($|[^{after}])" for shape, after in _SHAPES)


def prefilter_sql(expr: str) -> str:
    """SQL true when the text expr may hold personal data (never NULL).

    A superset of find_personal_data: an e-mail holds '@', and every other
    identifier has at least 11 characters, so shorter values skip the regex
    (a CASE: DuckDB evaluates its branches only for the rows that reach them).
    """
    return (f"(case when {expr} is null then false when contains({expr}, '@') then true "
            f"when strlen({expr}) >= 11 then regexp_matches({expr}, '{_sql_literal(PREFILTER_SQL)}') "
            "else false end)")


EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
# For masking: eleven or more digits in a row, or groups as phones and cards are written.
LONG_NUMBER = r"\+?[0-9]{11,}[Xx]?|[0-9]{3,4}(?:[ -][0-9]{4}){2,}(?:[ -]?[0-9]{1,3})?"

# Masking, in order; mask() and mask_sql() both apply these steps.
MASK_STEPS = ((EMAIL, "[EMAIL]"), (LONG_NUMBER, "[NUMBER]"))

_EMAIL_RE = re.compile(EMAIL)
_MASK_RES = tuple((re.compile(pattern), replacement) for pattern, replacement in MASK_STEPS)
_MOBILE_RE, _ID_RE, _CARD_RE = (re.compile(f"(?<![0-9]){shape}(?![{after}])")
                                for shape, after in _SHAPES)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_valid(text: str) -> bool:
    """Mainland resident ID (GB 11643): 17 digits and a check character."""
    if len(text) != 18 or not text[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == text[17].upper()


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def find_personal_data(text: str | None) -> str | None:
    """The kind of personal identifier in text ('email', 'mobile', 'resident_id',
    'bank_card'), or None."""
    if not text:
        return None
    if _EMAIL_RE.search(text):
        return "email"
    if _MOBILE_RE.search(text):
        return "mobile"
    if any(resident_id_valid(m.group(0)) for m in _ID_RE.finditer(text)):
        return "resident_id"
    for match in _CARD_RE.finditer(text):
        if luhn_valid(match.group(0).replace(" ", "").replace("-", "")):
            return "bank_card"
    return None


def mask(text: str | None) -> str | None:
    """Replace anything shaped like an e-mail or a long number."""
    if text is None:
        return None
    for pattern, replacement in _MASK_RES:
        text = pattern.sub(replacement, text)
    return text


def error_line(exc: BaseException, *, with_type: bool = False, limit: int = 500) -> str:
    """An exception as one masked line for users, logs and the runs table: its message's
    first line (error messages can quote a file's or a query's values: masked), prefixed
    by its type's name when with_type, just the name when it has no message; at most
    limit characters."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if with_type or not text:
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return mask(text)[:limit]


def mask_sql(expr: str) -> str:
    """The same masking as mask(), as a DuckDB SQL expression over expr."""
    for pattern, replacement in MASK_STEPS:
        expr = f"regexp_replace({expr}, '{_sql_literal(pattern)}', '{replacement}', 'g')"
    return expr


def _sql_literal(text: str) -> str:
    return text.replace("'", "''")


# =====================================================================================
# Small-cell suppression for anything published (reports, exports).
#
# Published counts form a system of cells linked by additive relations (a total equals
# the sum of its parts: outcome classes, routes, segment values, months of a quarter).
# Primary cells are the counts 1 to threshold-1. Zeros are published: a zero describes
# nobody, and hiding it would hide as much again around it; so every suppressed cell is
# known to be at least 1, and the attacker below is given that knowledge. Then more cells
# are suppressed (complementary) until no suppressed cell can be recovered exactly from
# the published ones, even by an attacker who solves the linear system with those
# bounds and integrality (checked with a linear program per suppressed cell).
# Complements are chosen at the least information cost: ordinary cells before margins,
# margins before the cells a key rate is computed from (`key_cells`), the smallest count
# first within each; a zero is never a complement (it could not hide anything).
# Cells already published elsewhere (`fixed`) keep their status, so a table linked to
# an earlier publication is protected together with it.
# =====================================================================================

SUPPRESSED = "suppressed"


def suppress_cells(counts: dict, relations: list[tuple], threshold: int,
                   fixed: dict | None = None, key_cells: frozenset | set = frozenset()) -> set:
    """The cells to suppress.

    counts: cell key -> count (keys hashable and sortable by str()).
    relations: (total_key, [part_keys]) meaning counts[total] == sum(counts[parts]).
    fixed: cell key -> True (already suppressed elsewhere) / False (already published);
    such cells never change status here.
    key_cells: cells a key rate is computed from (approval rate, broken share): hidden
    as complements only when no other cell of the relation can be.
    Raises ValueError if the fixed cells leave no way to protect a suppressed cell.
    The answer depends only on the arguments; it is remembered for the process, since
    the same month is protected again by every report that shows it.
    """
    fixed = fixed or {}
    key = (threshold, frozenset(counts.items()), frozenset(fixed.items()), frozenset(key_cells),
           tuple((total, tuple(parts)) for total, parts in relations))
    if key not in _SUPPRESSED_BEFORE:
        if len(_SUPPRESSED_BEFORE) >= 512:
            _SUPPRESSED_BEFORE.pop(next(iter(_SUPPRESSED_BEFORE)))
        _SUPPRESSED_BEFORE[key] = frozenset(
            _suppress_cells(counts, relations, threshold, fixed, frozenset(key_cells)))
    return set(_SUPPRESSED_BEFORE[key])


_SUPPRESSED_BEFORE: dict = {}


def is_primary(count: int, threshold: int) -> bool:
    """A count that is itself too small to publish: 1 to threshold-1 (zeros are published)."""
    return 0 < count < threshold


def _suppress_cells(counts: dict, relations: list[tuple], threshold: int, fixed: dict,
                    key_cells: frozenset) -> set:
    for total, parts in relations:
        if counts[total] != sum(counts[p] for p in parts):
            raise ValueError(f"relation does not hold: {total} != sum of {list(parts)}")
    suppressed = {k for k, v in fixed.items() if v}
    suppressed |= {k for k, n in counts.items() if k not in fixed and is_primary(n, threshold)}
    by_cell: dict = {}
    for index, (total, parts) in enumerate(relations):
        for cell in (total, *parts):
            by_cell.setdefault(cell, []).append(index)

    totals = {total for total, _ in relations}

    def cheapest(cells) -> object | None:
        # the least information lost: ordinary cells, then margins, then a key rate's
        # cells; the smallest count first (a zero hides nothing: never a complement)
        free = [c for c in cells if c not in suppressed and c not in fixed and counts[c] > 0]
        return min(free, key=lambda c: (c in key_cells, c in totals, counts[c], str(c))) \
            if free else None

    while True:
        added = False
        added_now: set = set()
        for total, parts in relations:
            cells = (total, *parts)
            if sum(c in suppressed for c in cells) == 1:
                pick = cheapest(cells)
                if pick is None:
                    raise ValueError(f"cannot protect the suppressed cell of {total}")
                suppressed.add(pick)
                added = True
        if added:
            continue
        pinned = recoverable_cells(counts, relations, suppressed)
        if not pinned:
            return suppressed
        for cell in sorted(pinned, key=str):
            candidates = {c for i in by_cell.get(cell, ()) for c in (relations[i][0], *relations[i][1])}
            if candidates & added_now:
                continue  # this round already widened a relation of this cell
            pick = cheapest(sorted(candidates, key=str))
            if pick is not None:
                suppressed.add(pick)
                added_now.add(pick)
                added = True
        if not added:
            # every relation of a pinned cell is fully suppressed, yet totals elsewhere in
            # its linked system pin it (all batches' parts and the grand totals, say):
            # widen to the cheapest free cell of any relation linked through suppressed cells
            linked = _linked_cells(relations, by_cell, suppressed, pinned)
            pick = cheapest(sorted(linked, key=str))
            if pick is None:
                raise ValueError(f"cannot protect suppressed cells {sorted(map(str, pinned))}")
            suppressed.add(pick)


def _linked_cells(relations: list[tuple], by_cell: dict, suppressed: set, start: set) -> set:
    """Every cell of the relations reachable from start through suppressed cells."""
    seen_relations: set = set()
    frontier, reached = list(start), set(start)
    while frontier:
        cell = frontier.pop()
        for i in by_cell.get(cell, ()):
            if i in seen_relations:
                continue
            seen_relations.add(i)
            for other in (relations[i][0], *relations[i][1]):
                if other in suppressed and other not in reached:
                    reached.add(other)
                    frontier.append(other)
    return {c for i in seen_relations for c in (relations[i][0], *relations[i][1])}


def recoverable_cells(counts: dict, relations: list[tuple], suppressed: set,
                      lowest: int = 1) -> set:
    """Suppressed cells whose value follows exactly from the published cells.

    The attacker knows every relation, every published count, and that counts are
    integers of at least `lowest` when suppressed (1: zeros are always published). A cell is recovered when exactly one integer lies between
    its smallest and largest value over all solutions (two linear programs). To keep
    this fast, feasible points already at hand (the true counts, the solutions of a
    few programs with random objectives and of earlier programs) clear every cell
    they show taking two values at least 1 apart, without a program of its own.
    """
    import numpy as np
    from scipy.optimize import linprog

    touched = [r for r in relations if any(c in suppressed for c in (r[0], *r[1]))]
    recovered: set = set()
    for component in _components(touched, suppressed):
        unknowns = sorted({c for r in component for c in (r[0], *r[1]) if c in suppressed}, key=str)
        column = {c: i for i, c in enumerate(unknowns)}
        a_eq = np.zeros((len(component), len(unknowns)))
        b_eq = np.zeros(len(component))
        for row, (total, parts) in enumerate(component):
            for cell, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                if cell in column:
                    a_eq[row, column[cell]] += sign
                else:
                    b_eq[row] -= sign * counts[cell]
        true_values = np.array([float(counts[c]) for c in unknowns])
        floor = np.minimum(float(lowest), true_values)  # what the attacker knows of each
        bounds = [(f, None) for f in floor]
        seen_low, seen_high = true_values.copy(), true_values.copy()
        unbounded = np.zeros(len(unknowns), dtype=bool)
        # cheap first: moving the true counts along a null-space direction far enough to
        # change a cell by 1 while every count stays >= its floor shows it is not pinned
        _, singular, vt = np.linalg.svd(a_eq) if len(component) else (None, np.zeros(0), None)
        rank = int((singular > 1e-9).sum())
        basis = vt[rank:] if vt is not None else np.eye(len(unknowns))
        for direction in basis:
            for j in np.flatnonzero(np.abs(direction) > 1e-9):
                step = direction / abs(direction[j])
                for moved in (true_values + step, true_values - step):
                    if (moved >= floor - 1e-9).all():
                        np.minimum(seen_low, moved, out=seen_low)
                        np.maximum(seen_high, moved, out=seen_high)

        def solve(objective, seen_low=seen_low, seen_high=seen_high, a_eq=a_eq, b_eq=b_eq,
                  bounds=bounds):
            result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
            if result.status == 0:
                np.minimum(seen_low, result.x, out=seen_low)
                np.maximum(seen_high, result.x, out=seen_high)
            return result

        def spans(j: int, seen_low=seen_low, seen_high=seen_high, true_values=true_values) -> bool:
            # a feasible point 1 away from the true (integer) count: two integers possible
            return (seen_high[j] >= true_values[j] + 1 - 1e-6
                    or seen_low[j] <= true_values[j] - 1 + 1e-6)

        # then a few programs that push many cells at once (the sum of the cells not yet
        # shown to move, up and then down): each optimum clears every cell it moves by 1
        for _ in range(3):
            open_cells = [j for j in range(len(unknowns)) if not spans(j)]
            if not open_cells:
                break
            before = len(open_cells)
            objective = np.zeros(len(unknowns))
            objective[open_cells] = 1.0
            solve(-objective)
            objective[[j for j in open_cells if true_values[j] < floor[j] + 1]] = 0.0
            if objective.any():
                solve(objective)
            if sum(not spans(j) for j in open_cells) == before:
                break
        for cell, j in column.items():
            if unbounded[j] or spans(j):
                continue
            objective = np.zeros(len(unknowns))
            objective[j] = 1.0
            high = solve(-objective)
            if high.status == 3:  # unbounded above: cannot be pinned
                unbounded[j] = True
                continue
            if high.status != 0:
                raise ValueError(f"suppression system is infeasible at {cell}")
            if spans(j):
                continue
            if true_values[j] < floor[j] + 1:  # at most its true count, never below: pinned
                recovered.add(cell)
                continue
            low = solve(objective)
            if low.status != 0:
                raise ValueError(f"suppression system is infeasible at {cell}")
            if np.ceil(low.fun - 1e-6) >= np.floor(-high.fun + 1e-6):
                recovered.add(cell)
    return recovered


def _components(relations: list[tuple], suppressed: set) -> list[list[tuple]]:
    """Group relations that share a suppressed cell (each group is solved on its own)."""
    parent = list(range(len(relations)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict = {}
    for i, (total, parts) in enumerate(relations):
        for cell in (total, *parts):
            if cell in suppressed:
                if cell in first_seen:
                    parent[find(i)] = find(first_seen[cell])
                else:
                    first_seen[cell] = i
    groups: dict[int, list[tuple]] = {}
    for i, relation in enumerate(relations):
        groups.setdefault(find(i), []).append(relation)
    return list(groups.values())
