"""Analytics: the figures a manager reads off the book, as pure functions over plain
rows — overdue rates, roll and cure rates, recovery, cost per unit recovered,
contacts per case, promises kept, visit return, guard denials, champion against
challenger and vintage curves — and the chart data that draws them.

- ``model``: the rows the figures read and the scope (product, period, strategy,
  territory) that filters them;
- ``figures``: the book's figures for one scope;
- ``charts``: each figure as a Plotly figure (plain data, drawn by the page)."""
