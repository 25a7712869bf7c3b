"""A DataTable that takes whole row sets and writes only the differences.

A full rebuild per second cost 20–90 % CPU in a measurement here; diffs cost 3–6 %. And
`DataTable.update_cell` repaints the whole widget even for one cell, so changed cells are
written into the table's data and only their row is refreshed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

Cell = str | Text


class DiffTable(DataTable[Cell]):
    # No horizontal scrolling: the flexible column gives way, and enter shows a row in full.
    DEFAULT_CSS = "DiffTable { height: 1fr; scrollbar-size-vertical: 1; overflow-x: hidden; }"
    # DataTable's own home/end scroll sideways, which a table without horizontal scrolling never
    # does: here they go to the first and the last row, as help says (the log tail does the same).
    BINDINGS: ClassVar[list[Binding]] = [
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
        self.flex_need = 0

    FLEX_MIN = 10  # the flexible column (width None) never gets narrower than this
    OPTIONAL_MIN = 8  # an optional column is cut down to this before it is given up

    def on_mount(self) -> None:
        self._add_columns(self._widths(self._shown))
        self.call_after_refresh(self.fit_flex)

    def on_resize(self) -> None:
        self.fit_flex()

    def _add_columns(self, widths: Mapping[str, int]) -> None:
        for label, key, _ in self._columns_spec:
            if key in self._shown:
                self.add_column(label, key=key, width=widths.get(key, self.FLEX_MIN))

    def _measure(self, index: int) -> int:
        """The width column `index` wants: its label's and its widest value's, up to its most."""
        label, _, most = self._columns_spec[index]
        want = cell_len(label)
        for cells in self._rows.values():
            cell = cells[index]
            want = max(want, cell.cell_len if isinstance(cell, Text) else cell_len(cell))
        return min(want, most or want)

    def _widths(self, shown: Sequence[str]) -> dict[str, int]:
        """Each shown column's width; the flexible one gets the rest of the table's width."""
        widths = {
            key: self._measure(i) for i, key in enumerate(self._keys) if key in shown and key != self._flex
        }
        if self._flex is not None and self._flex in shown:
            padding = 2 * self.cell_padding * len(shown)
            room = self.size.width - sum(widths.values()) - padding - 1  # 1: the vertical scrollbar
            widths[self._flex] = max(self.FLEX_MIN, room)
        return widths

    def fit_flex(self) -> None:
        """Size the columns to their values and give the flexible one what is left, giving up
        optional columns while the flexible one cannot show what it needs."""
        if not self.size.width:
            return
        shown = list(self._keys)
        widths = self._widths(shown)
        for key in self._optional:
            short = self.flex_need - widths[self._flex] if self._flex is not None else 0
            if short <= 0:
                break
            if widths[key] - short >= self._optional_min.get(key, self.OPTIONAL_MIN):
                # Cut (with an ellipsis) rather than lose it: "lomash-wo…" still tells.
                widths[key] -= short
                widths[self._flex] += short
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
        order = list(rows)
        kept = [k for k in order if k in self._rows]
        new_keys = [k for k in order if k not in self._rows]
        if kept != [k for k in self._order if k in rows] or order[len(kept) :] != new_keys:
            self._rebuild(rows)  # the order changed: rare (a pod turned bad and moves up)
            return
        for key in [k for k in self._order if k not in rows]:
            self.remove_row(key)
            del self._rows[key]
        self._order = kept
        shown = set(self._shown)
        for index, key in enumerate(kept):
            cells, old = rows[key], self._rows[key]
            if cells == old:
                continue  # a no-op write would still repaint the whole visible table
            row_key = RowKey(key)
            for col, new_value, old_value in zip(self._keys, cells, old, strict=True):
                if new_value != old_value and col in shown:
                    self._data[row_key][col] = new_value  # type: ignore[index]
            self._rows[key] = cells
            self._update_count += 1  # invalidates the table's render caches
            self.refresh_row(index)
        for key in new_keys:
            self.add_row(*self._visible(rows[key]), key=key)
            self._rows[key] = rows[key]
            self._order.append(key)
        self.fit_flex()  # the values may want other widths now

    def _rebuild(self, rows: Mapping[str, tuple[Cell, ...]], *, columns: bool = False) -> None:
        """Order changed (a pod turned bad and moves up), or which columns fit did: clear and
        add again, keeping the cursor on the same row key."""
        selected = self.selected_key()
        self.clear(columns=columns)
        if columns:
            self._add_columns(self._widths(self._shown))
        self._rows = dict(rows)
        self._order = list(rows)
        for key, cells in rows.items():
            self.add_row(*self._visible(cells), key=key)
        if selected in self._rows:
            self.move_cursor(row=self._order.index(selected), animate=False)
        if not columns:
            self.fit_flex()
