"""A DataTable that takes whole row sets and writes only the differences.

A full rebuild per second cost 20–90 % CPU in a measurement here; diffs cost 3–6 %. And
`DataTable.update_cell` repaints the whole widget even for one cell, so changed cells are
written into the table's data and only their row is refreshed.

Every cell is shown as literal, cleaned `Text` (`safe_cell`), whatever a panel hands in: a plain
`str` cell is parsed as markup by DataTable, so a service named "checkout [/bold]" crashed the
app at start and a pod named "[@click=app.quit]x[/]" quit it on a click. The conversion is here,
once, for every way into the table, so no panel (nor any future one) can get it wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import zip_longest
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets._data_table import Column, Row
from textual.widgets.data_table import ColumnKey, RowKey

from tui.core.untrusted import clean, literal

Cell = str | Text


def safe_cell(value: object) -> Text:
    """`value` as a cell: a str (or anything else) as cleaned literal text; a `Text` as it is
    when its text is clean (it came from a panel that cleaned it), else rebuilt from its cleaned
    text in its overall style (a control character or an invisible one got through)."""
    if isinstance(value, Text):
        plain = value.plain
        if clean(plain, max_len=max(len(plain), 1)) == plain:
            return value
        return Text(clean(plain), style=value.style, justify=value.justify, no_wrap=True, end="")
    return literal(str(value))


def cell_width(value: object) -> int:
    """The cells `value` takes once shown (cleaned), without building its `Text` when it is
    plain printable ASCII (nearly every cell)."""
    if isinstance(value, Text):
        plain = value.plain
        if plain.isascii() and plain.isprintable():
            return value.cell_len
        cleaned = clean(plain, max_len=max(len(plain), 1))
        return value.cell_len if cleaned == plain else cell_len(cleaned)
    return cell_len(clean(str(value)))


class DiffTable(DataTable[Text]):
    # No horizontal scrolling: the flexible column gives way, and enter shows a row in full.
    DEFAULT_CSS = "DiffTable { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }"
    # DataTable's own home/end scroll sideways, which a table without horizontal scrolling never
    # does: here they go to the first and the last row, as help says (the log tail does the same).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("home", "scroll_top", "First row", show=False, id="table.first"),
        Binding("end", "scroll_bottom", "Last row", show=False, id="table.last"),
    ]

    def __init__(
        self,
        columns: Sequence[tuple[str, str, int | None]],
        *,
        optional: Sequence[str | tuple[str, int]] = (),
        **kwargs: object,
    ) -> None:
        """`columns`: (label, key, width). A number is the most that column takes: it is as wide
        as its label and its widest value, so a state column holding "Running" does not keep
        the room of "CreateContainerConfigError". None marks the one flexible column (the name
        or the text), which takes what is left. `optional`: column keys cut (down to
        OPTIONAL_MIN, or the width given with the key: a sparkline is never cut) and then given
        up, first first, while the flexible column is narrower than `flex_need` (set by the
        panel: what its values need, e.g. the longest pod name)."""
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._columns_spec = list(columns)
        self._keys = [key for _, key, _ in self._columns_spec]
        self._flex = next((key for _, key, width in self._columns_spec if width is None), None)
        self._optional = tuple(k if isinstance(k, str) else k[0] for k in optional)
        self._optional_min = {k[0]: k[1] for k in optional if not isinstance(k, str)}
        self._shown: list[str] = list(self._keys)
        self._rows: dict[str, tuple[Cell, ...]] = {}
        self._order: list[str] = []
        # Per column: how many rows' cells have each width, so the widest is known without
        # measuring every row again (10 000 rows, every batch).
        self._width_counts: list[dict[int, int]] = [{} for _ in self._keys]
        # Per row key: its cells as last handed in, cleaned (`safe_cell`) and measured. Kept for
        # a row a filter hid too: when it comes back with the very same cells (a panel hands
        # back the same tuple for a row that did not change), it is not cleaned and measured
        # again (clearing a filter over 10 000 rows re-adds them all). Pruned to the rows shown
        # once it outgrows twice the most rows ever shown (pods come and go).
        self._prepared: dict[str, tuple[tuple[Cell, ...], tuple[Text, ...], tuple[int, ...]]] = {}
        self._most_rows = 0
        self.flex_need = 0

    FLEX_MIN = 10  # the flexible column (width None) never gets narrower than this
    OPTIONAL_MIN = 8  # an optional column is cut down to this before it is given up

    def on_mount(self) -> None:
        self._add_columns(self._widths(self._shown))
        self.call_after_refresh(self.fit_flex)

    def on_resize(self) -> None:
        self.fit_flex()

    # ---- every way into the table's cells goes through `safe_cell` ---------------------------
    def add_column(
        self,
        label: object,
        *,
        width: int | None = None,
        key: str | None = None,
        default: object | None = None,
    ) -> ColumnKey:
        return super().add_column(
            safe_cell(label), width=width, key=key, default=None if default is None else safe_cell(default)
        )

    def add_row(
        self, *cells: object, height: int | None = 1, key: str | None = None, label: object = None
    ) -> RowKey:
        return super().add_row(
            *(safe_cell(cell) for cell in cells),
            height=height,
            key=key,
            label=None if label is None else safe_cell(label),
        )

    def update_cell(
        self, row_key: RowKey | str, column_key: ColumnKey | str, value: object, *, update_width: bool = False
    ) -> None:
        super().update_cell(row_key, column_key, safe_cell(value), update_width=update_width)

    def update_cell_at(self, coordinate: Coordinate, value: object, *, update_width: bool = False) -> None:
        super().update_cell_at(coordinate, safe_cell(value), update_width=update_width)

    def _add_columns(self, widths: Mapping[str, int]) -> None:
        for label, key, _ in self._columns_spec:
            if key in self._shown:
                self.add_column(label, key=key, width=widths.get(key, self.FLEX_MIN))

    def _measure(self, index: int) -> int:
        """The width column `index` wants: its label's and its widest value's, up to its most."""
        label, _, most = self._columns_spec[index]
        want = max(cell_len(label), max(self._width_counts[index], default=0))
        return min(want, most or want)

    def _widths(self, shown: Sequence[str]) -> dict[str, int]:
        """Each shown column's width; the flexible one gets the rest of the table's width."""
        widths, room = self._fixed_widths(shown)
        if self._flex is not None and self._flex in shown:
            widths[self._flex] = max(self.FLEX_MIN, room)
        return widths

    def _fixed_widths(self, shown: Sequence[str]) -> tuple[dict[str, int], int]:
        """The shown columns' widths but the flexible one's, and the room left for that one
        (below FLEX_MIN, or negative, when the others take more than the table has)."""
        widths = {
            key: self._measure(i) for i, key in enumerate(self._keys) if key in shown and key != self._flex
        }
        padding = 2 * self.cell_padding * len(shown)
        room = self.size.width - sum(widths.values()) - padding - 1  # 1: the vertical scrollbar
        return widths, room

    def fit_flex(self) -> None:
        """Size the columns to their values and give the flexible one what is left, giving up
        optional columns while the flexible one cannot show what it needs."""
        if not self.size.width:
            return
        shown = list(self._keys)
        widths = self._widths(shown)
        flex = self._flex
        for key in self._optional:
            if flex is None:
                break
            # What the flexible column lacks, from the room it really has: the others may take
            # more than the table's width (its FLEX_MIN is then no room at all).
            room = self._fixed_widths(shown)[1]
            short = max(self.flex_need, self.FLEX_MIN) - room
            if short <= 0:
                break
            if widths[key] - short >= self._optional_min.get(key, self.OPTIONAL_MIN):
                # Cut (with an ellipsis) rather than lose it: "lomash-wo…" still tells.
                widths[key] -= short
                widths[flex] = room + short
                break
            shown.remove(key)
            widths = self._widths(shown)
        if shown != self._shown:
            self._shown = shown
            self._rebuild(dict(self._rows), columns=True)
            for key, width in widths.items():
                self.columns[ColumnKey(key)].width = width
            self._require_update_dimensions = True
            self.refresh()
            self._refit_parent()
            return
        changed = False
        for key, width in widths.items():
            column = self.columns.get(ColumnKey(key))
            if column is not None and column.width != width:
                column.width = width
                changed = True
        if changed:
            self._require_update_dimensions = True
            self.refresh()
            self._refit_parent()

    def _settle_columns(self, widths: Sequence[tuple[int, ...]]) -> None:
        """An empty table about to be filled (the first snapshot, 10 000 pods): choose the
        columns that fit these rows before adding them, so each row is added once. Adding them
        first, then giving up a column that did not fit and adding them all again, tripled the
        first paint of a big table. (Their widths are counted again as they are added.)"""
        if not self.size.width:
            return
        for row in widths:
            self._count_widths(row, +1)
        self.fit_flex()  # an empty table: a change of columns re-adds no rows
        for row in widths:
            self._count_widths(row, -1)

    def _refit_parent(self) -> None:
        refit = getattr(self.parent, "refit", None)
        if refit is not None:
            self.call_after_refresh(refit)  # the panel may shorten cells to the new width

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns on the screen now (optional ones may be given up)."""
        return list(self._shown)

    def column_width(self, key: str) -> int | None:
        column = self.columns.get(ColumnKey(key))
        return column.width if column is not None else None

    def _visible(self, cells: tuple[Cell, ...]) -> tuple[Cell, ...]:
        if len(self._shown) == len(self._keys):
            return cells
        return tuple(cell for key, cell in zip(self._keys, cells, strict=True) if key in self._shown)

    @property
    def flex_width(self) -> int | None:
        """The flexible column's width now (None before the table is laid out)."""
        column = self.columns.get(ColumnKey(self._flex)) if self._flex else None
        return column.width if column is not None and self.size.width else None

    @property
    def row_keys(self) -> list[str]:
        return list(self._order)

    def selected_key(self) -> str | None:
        if not self._order or self.cursor_row < 0 or self.cursor_row >= len(self._order):
            return None
        return self._order[self.cursor_row]

    def set_rows(self, rows: Mapping[str, tuple[Cell, ...]]) -> None:
        """Make the table show `rows` (key -> cells, in display order), touching only what changed."""
        self.apply(list(rows), rows)

    def apply(self, order: Sequence[str], cells: Mapping[str, tuple[Cell, ...]]) -> None:
        """Show the rows `order` names, in that order; `cells` holds the cells of every new row
        and of any row that may have changed (a row it leaves out keeps its cells). Only cells
        that differ are written, and only their rows repainted.

        Rows are added, removed and moved in bulk, straight in the table's own structures:
        DataTable's `remove_row` renumbers every row (10 000 removals from 10 000 rows took
        minutes), and moving one row would otherwise mean clearing and adding them all again.
        The widths the columns want are kept as counts of cell widths, so a batch measures only
        the cells it changed, not every row."""
        order = list(dict.fromkeys(order))  # a key shown twice would corrupt the table
        selected = self.selected_key()
        old_order = self._order
        structural = order != old_order
        if structural:
            wanted = set(order)
            for key in [k for k in old_order if k not in wanted]:
                row_key = RowKey(key)
                del self.rows[row_key]
                del self._data[row_key]
                self._count_widths(self._prepare(key, self._rows.pop(key))[1], -1)
            new_keys = [k for k in order if k not in self._rows]
            if not self._rows and new_keys:
                self._settle_columns([self._prepare(key, cells[key])[1] for key in new_keys])
            columns = self.ordered_columns
            for key in new_keys:
                self._add_quietly(key, cells[key], columns)
        shown = set(self._shown)
        changed: list[str] = []
        for key, new_cells in cells.items():
            old = self._rows.get(key)
            if old is None or new_cells is old or new_cells == old:
                continue  # a no-op write would still repaint the whole visible table
            data = self._data[RowKey(key)]
            old_safe, old_widths = self._prepare(key, old)
            safe = list(old_safe)
            for i, (col, new_value, old_value) in enumerate(zip(self._keys, new_cells, old, strict=True)):
                if new_value != old_value:
                    safe[i] = safe_cell(new_value)
                    if col in shown:
                        data[col] = safe[i]  # type: ignore[index]
            widths = tuple(cell.cell_len for cell in safe)
            self._prepared[key] = (new_cells, tuple(safe), widths)
            self._count_widths(old_widths, -1)
            self._count_widths(widths, +1)
            self._rows[key] = new_cells
            changed.append(key)
        self._order = order
        if structural:
            self._most_rows = max(self._most_rows, len(order))
            if len(self._prepared) > 2 * self._most_rows + 1024:
                self._prepared = {k: v for k, v in self._prepared.items() if k in self._rows}
            self._row_locations = TwoWayDict({RowKey(key): i for i, key in enumerate(order)})
            self._update_count += 1  # invalidates the render caches, the row order's too
            if len(order) != len(old_order):
                self._require_update_dimensions = True  # the height changed
            self._applying = True
            try:
                if self.chosen and selected in self._rows and order.index(selected) != self.cursor_row:
                    self.move_cursor(row=order.index(selected), animate=False)
                else:
                    self.cursor_coordinate = self.cursor_coordinate  # clamped to what is left
            finally:
                self._applying = False
            self.refresh(layout=True)
            self.check_idle()
        elif changed:
            self._update_count += 1  # a row scrolled to later is rendered afresh
            # Repaint only the changed rows on screen: with 10 000 rows most of a batch is not.
            top = int(self.scroll_y)
            bottom = top + self.size.height
            for key in changed:
                index = self._row_locations.get(RowKey(key))
                if index is not None and top - 1 <= index <= bottom:
                    self.refresh_row(index)
        if structural or changed:
            self.fit_flex()  # the values may want other widths now

    # Whether someone put the cursor on a row (a key, a click, a jump to a row): then it stays on
    # that row wherever it moves. Until then it stays on the first row, the most urgent one, so a
    # table whose rows are still settling (10 000 services' first round, unknown rows giving way
    # to checked ones) does not drag the view along behind one of them.
    chosen = False
    _applying = False

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if old != new and not self._applying and self._order:
            self.chosen = True

    def _prepare(self, key: str, cells: tuple[Cell, ...]) -> tuple[tuple[Text, ...], tuple[int, ...]]:
        """`cells` cleaned (as shown) and their widths: from `_prepared` when these very cells
        were prepared before."""
        hit = self._prepared.get(key)
        if hit is not None and hit[0] is cells:
            return hit[1], hit[2]
        safe = tuple(safe_cell(cell) for cell in cells)
        widths = tuple(cell.cell_len for cell in safe)  # as shown: an invisible character takes a cell
        self._prepared[key] = (cells, safe, widths)
        return safe, widths

    def _count_widths(self, widths: tuple[int, ...], step: int) -> None:
        for counts, width in zip(self._width_counts, widths, strict=True):
            left = counts.get(width, 0) + step
            if left > 0:
                counts[width] = left
            else:
                counts.pop(width, None)

    def _add_quietly(self, key: str, cells: tuple[Cell, ...], columns: Sequence[Column]) -> None:
        """`add_row` without its per-row work (cursor validation, a highlight event, an idle
        check): `apply` does that once for the whole batch."""
        row_key = RowKey(key)
        safe, widths = self._prepare(key, cells)
        # A row shorter than the columns leaves the rest None, as DataTable's own add_row does.
        row: dict[ColumnKey, Any] = {
            column.key: cell for column, cell in zip_longest(columns, self._visible(safe))
        }
        self._data[row_key] = row
        self.rows[row_key] = Row(row_key, 1, None, False)
        # Not among DataTable's `_new_rows`: those it measures cell by cell when idle (seconds
        # for 10 000 rows), for auto-width columns and auto-height rows, which this table has
        # neither of; their widths are counted here (`_width_counts`).
        self._rows[key] = cells
        self._count_widths(widths, +1)
        if len(self.rows) == 1 and self.show_cursor:
            self.call_after_refresh(self._highlight_cursor)  # the first row: the cursor appears

    def _rebuild(self, rows: Mapping[str, tuple[Cell, ...]], *, columns: bool = False) -> None:
        """Which columns fit changed: clear and add again, keeping the cursor on the same row."""
        selected = self.selected_key()
        was_chosen = self.chosen
        self._applying = True  # not someone's choice of a row
        try:
            self.clear(columns=columns)
            if columns:
                self._add_columns(self._widths(self._shown))
            self._rows = {}
            self._order = []
            self._width_counts = [{} for _ in self._keys]
        finally:
            self._applying = False
        self.apply(list(rows), rows)
        if selected in self._rows:
            self._applying = True
            try:
                self.move_cursor(row=self._order.index(selected), animate=False)
            finally:
                self._applying = False
        self.chosen = was_chosen
