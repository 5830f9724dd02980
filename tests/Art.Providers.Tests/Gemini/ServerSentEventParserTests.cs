using System.Text;
using Art.Gemini;

namespace Art.Providers.Tests.Gemini;

public sealed class ServerSentEventParserTests
{
    private static List<string> Parse(string body, params int[] splits)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var parser = new ServerSentEventParser();
        var events = new List<string>();
        var start = 0;
        foreach (var split in splits.Append(bytes.Length))
        {
            parser.Push(bytes.AsSpan(start, split - start), events);
            start = split;
        }

        return events;
    }

    [Fact]
    public void Push_CrlfSeparatedEvents_YieldsEachData()
    {
        var events = Parse("data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\r\n\r\n");
        Assert.Equal(["{\"a\":1}", "{\"b\":2}"], events);
    }

    [Fact]
    public void Push_LfAndCrOnlySeparators_YieldsEachData()
    {
        Assert.Equal(["x", "y"], Parse("data: x\n\ndata: y\n\n"));
        Assert.Equal(["x", "y"], Parse("data: x\r\rdata: y\r\r"));
    }

    [Fact]
    public void Push_MultiLineData_JoinedWithLf()
    {
        Assert.Equal(["line1\nline2"], Parse("data: line1\r\ndata: line2\r\n\r\n"));
    }

    [Fact]
    public void Push_CommentsAndOtherFields_Ignored()
    {
        Assert.Equal(["x"], Parse(": keep-alive\r\nevent: message\r\nid: 3\r\ndata:x\r\n\r\n"));
    }

    [Fact]
    public void Push_UnterminatedLastEvent_IsDropped()
    {
        Assert.Equal(["x"], Parse("data: x\r\n\r\ndata: {\"cut"));
    }

    [Fact]
    public void Push_SplitAtEveryPosition_SameEvents()
    {
        // A small stream with CRLF, LF, a multi-byte character and multi-line data.
        const string body = "data: {\"t\":\"é€😀\"}\r\n\r\ndata: a\r\ndata: b\n\n: c\r\ndata: z\r\n\r\n";
        var expected = new List<string> { "{\"t\":\"é€😀\"}", "a\nb", "z" };
        var length = Encoding.UTF8.GetByteCount(body);
        for (var i = 0; i <= length; i++)
        {
            Assert.Equal(expected, Parse(body, i));
            for (var j = i; j <= length; j += 3)
            {
                Assert.Equal(expected, Parse(body, i, j));
            }
        }
    }

    [Fact]
    public async Task ReadAsync_OneByteReads_YieldsEvents()
    {
        var bytes = Encoding.UTF8.GetBytes("data: {\"x\":1}\r\n\r\ndata: {\"y\":2}\r\n\r\n");
        using var stream = new OneByteStream(bytes);
        var events = new List<string>();
        await foreach (var data in ServerSentEventParser.ReadAsync(stream, TestContext.Current.CancellationToken))
        {
            events.Add(data);
        }

        Assert.Equal(["{\"x\":1}", "{\"y\":2}"], events);
    }

    private sealed class OneByteStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
