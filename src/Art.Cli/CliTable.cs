using System.Text;
using Spectre.Console;

namespace Art.Cli;

/// <summary>
/// A table of plain cells: drawn by Spectre.Console on a terminal, printed as aligned columns (no padding to the
/// screen width, no wrapping, no colour) when stdout is redirected, so scripts can read it line by line.
/// </summary>
internal sealed class CliTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public CliTable AddRow(params string[] cells)
    {
        _rows.Add(cells);
        return this;
    }

    public int Count => _rows.Count;

    public void Write(CliContext context)
    {
        if (CliContext.StdoutIsTerminal)
        {
            var table = new Table().Border(TableBorder.Simple).AddColumns(headers.Select(h => new TableColumn(Markup.Escape(h))).ToArray());
            foreach (var row in _rows)
            {
                table.AddRow(row.Select(c => new Text(c)).ToArray());
            }

            Format.Console(context).Write(table);
            return;
        }

        var widths = new int[headers.Length];
        foreach (var row in _rows.Prepend(headers))
        {
            for (var i = 0; i < widths.Length && i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in _rows.Prepend(headers))
        {
            var line = new StringBuilder();
            for (var i = 0; i < widths.Length; i++)
            {
                var cell = i < row.Length ? row[i] : string.Empty;
                line.Append(i == widths.Length - 1 ? cell : cell.PadRight(widths[i] + 2));
            }

            context.Out.WriteLine(line.ToString().TrimEnd());
        }

        context.Out.Flush();
    }
}
