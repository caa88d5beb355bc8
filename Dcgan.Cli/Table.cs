namespace Dcgan.Cli;

/// <summary>Plain-text tables: first row is the header, columns padded to the widest cell.</summary>
public static class Table
{
    public static void Write(TextWriter writer, IReadOnlyList<string[]> rows, IReadOnlyCollection<int>? rightAligned = null)
    {
        int columns = rows.Max(r => r.Length);
        var widths = new int[columns];
        foreach (var row in rows)
            for (int c = 0; c < row.Length; c++)
                widths[c] = Math.Max(widths[c], row[c].Length);
        for (int r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].Select((cell, c) =>
                rightAligned?.Contains(c) == true ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]));
            writer.WriteLine("  " + string.Join("  ", cells).TrimEnd());
            if (r == 0)
                writer.WriteLine("  " + string.Join("  ", widths.Select(w => new string('-', w))).TrimEnd());
        }
    }
}
