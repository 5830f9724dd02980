using System.Text.Json;
using Art.Storage;

namespace Art.Tests.Storage;

/// <summary>Behaviour every <see cref="IStorageAdapter"/> shares; one subclass per adapter.</summary>
public abstract class StorageAdapterContractTests : IAsyncLifetime
{
    private IStorageAdapter? _storage;

    protected IStorageAdapter Storage => _storage ?? throw new InvalidOperationException("Not initialised.");

    protected abstract IStorageAdapter CreateAdapter();

    public virtual ValueTask InitializeAsync()
    {
        _storage = CreateAdapter();
        return ValueTask.CompletedTask;
    }

    public virtual async ValueTask DisposeAsync()
    {
        if (_storage is not null)
        {
            await _storage.DisposeAsync();
        }
    }

    protected static JsonElement Doc(string json) => JsonDocument.Parse(json).RootElement.Clone();

    protected static string[] Ids(IEnumerable<JsonElement> docs) => docs.Select(d => d.GetProperty("id").GetString()!).ToArray();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task SeedAsync(string collection, params string[] documents)
    {
        foreach (var json in documents)
        {
            var doc = Doc(json);
            await Storage.SetAsync(collection, doc.GetProperty("id").GetString()!, doc, Ct);
        }
    }

    [Fact]
    public async Task Get_UnknownCollection_ReturnsNullAndQueryIsEmpty()
    {
        Assert.Null(await Storage.GetAsync("nowhere", "x", Ct));
        Assert.Empty(await Storage.QueryAsync("nowhere", null, Ct));
        Assert.Empty(await Storage.QueryAsync("nowhere", FilterOptions.WhereEquals("a", 1), Ct));
    }

    [Fact]
    public async Task SetThenGet_ReturnsSameDocument_AndSetReplaces()
    {
        await Storage.SetAsync("c", "1", Doc("""{"id":"1","name":"a","n":{"x":[1,2]}}"""), Ct);
        var got = await Storage.GetAsync("c", "1", Ct);
        Assert.Equal("a", got!.Value.GetProperty("name").GetString());
        Assert.Equal(2, got.Value.GetProperty("n").GetProperty("x")[1].GetInt32());

        await Storage.SetAsync("c", "1", Doc("""{"id":"1","name":"b"}"""), Ct);
        got = await Storage.GetAsync("c", "1", Ct);
        Assert.Equal("b", got!.Value.GetProperty("name").GetString());
        Assert.Single(await Storage.QueryAsync("c", null, Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public async Task Set_WithoutId_ThrowsArgumentExceptionNamingCollection(string id)
    {
        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(() => Storage.SetAsync("people", id, Doc("{}"), Ct));
        Assert.Contains("people", ex.Message, StringComparison.Ordinal);
        Assert.Empty(await Storage.QueryAsync("people", null, Ct));
    }

    [Fact]
    public async Task Query_WhereSortSkipLimit_FollowsSemantics()
    {
        await SeedAsync("p",
            """{"id":"a","team":"x","age":30,"name":"Zed"}""",
            """{"id":"b","team":"x","age":25,"name":"Amy"}""",
            """{"id":"c","team":"y","age":30,"name":"Bob"}""",
            """{"id":"d","team":"x","age":30,"name":"Cat"}""",
            """{"id":"e","team":"x","age":41,"name":"Dan"}""");

        var byTeam = await Storage.QueryAsync("p", FilterOptions.WhereEquals("team", "x"), Ct);
        Assert.Equal(["a", "b", "d", "e"], Ids(byTeam)); // no sort: by id

        var multi = await Storage.QueryAsync("p", new FilterOptions { Sort = [SortField.Desc("age"), SortField.Asc("name")] }, Ct);
        Assert.Equal(["e", "c", "d", "a", "b"], Ids(multi));

        var paged = await Storage.QueryAsync("p", new FilterOptions { Sort = [SortField.Asc("age")], Skip = 1, Limit = 2 }, Ct);
        Assert.Equal(["a", "c"], Ids(paged)); // ages 25(b), 30(a,c,d by id), 41

        var skipOnly = await Storage.QueryAsync("p", new FilterOptions { Sort = [SortField.Asc("age")], Skip = 3 }, Ct);
        Assert.Equal(["d", "e"], Ids(skipOnly));

        Assert.Empty(await Storage.QueryAsync("p", new FilterOptions { Limit = 0 }, Ct));

        var two = new FilterOptions { Where = new Dictionary<string, object?> { ["team"] = "x", ["age"] = 30 } };
        Assert.Equal(["a", "d"], Ids(await Storage.QueryAsync("p", two, Ct)));
    }

    [Fact]
    public async Task Query_WhereValueKinds_MatchExactly()
    {
        await SeedAsync("k",
            """{"id":"1","v":1}""",
            """{"id":"2","v":"1"}""",
            """{"id":"3","v":true}""",
            """{"id":"4","v":null}""",
            """{"id":"5"}""",
            """{"id":"6","v":1.5}""",
            """{"id":"7","v":false}""");

        Assert.Equal(["1"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", 1), Ct)));
        Assert.Equal(["1"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", 1.0m), Ct)));
        Assert.Equal(["6"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", 1.5), Ct)));
        Assert.Equal(["2"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", "1"), Ct)));
        Assert.Equal(["3"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", true), Ct)));
        Assert.Equal(["7"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", false), Ct)));
        Assert.Equal(["4", "5"], Ids(await Storage.QueryAsync("k", FilterOptions.WhereEquals("v", null), Ct)));
    }

    [Fact]
    public async Task Query_NestedPath_FiltersAndSorts()
    {
        await SeedAsync("n",
            """{"id":"1","meta":{"owner":{"name":"ann"},"rank":2}}""",
            """{"id":"2","meta":{"owner":{"name":"bob"},"rank":1}}""",
            """{"id":"3","meta":{"owner":{"name":"ann"},"rank":1}}""",
            """{"id":"4","meta":"flat"}""");

        var ann = await Storage.QueryAsync("n", new FilterOptions { Where = new Dictionary<string, object?> { ["meta.owner.name"] = "ann" }, Sort = [SortField.Asc("meta.rank")] }, Ct);
        Assert.Equal(["3", "1"], Ids(ann));
    }

    [Fact]
    public async Task Query_MixedKinds_SortNullThenNumbersThenStrings()
    {
        await SeedAsync("m",
            """{"id":"a","v":"b"}""",
            """{"id":"b","v":10}""",
            """{"id":"c","v":"B"}""",
            """{"id":"d"}""",
            """{"id":"e","v":9.5}""",
            """{"id":"f","v":"10"}""",
            """{"id":"g","v":null}""",
            """{"id":"h","v":true}""",
            """{"id":"i","v":-3}""");

        var asc = Ids(await Storage.QueryAsync("m", new FilterOptions { Sort = [SortField.Asc("v")] }, Ct));
        // null/missing (ties by id) < -3 < true(1) < 9.5 < 10 < "10" < "B" < "b" (ordinal)
        Assert.Equal(["d", "g", "i", "h", "e", "b", "f", "c", "a"], asc);

        var desc = Ids(await Storage.QueryAsync("m", new FilterOptions { Sort = [SortField.Desc("v")] }, Ct));
        Assert.Equal(["a", "c", "f", "b", "e", "h", "i", "d", "g"], desc); // ties still by id ascending
    }

    [Fact]
    public async Task Query_StringSort_IsUtf16Ordinal_ForIdsAndValues()
    {
        // U+FFFD vs U+1F600: UTF-16 ordinal puts the emoji (surrogate D83D) first; UTF-8 byte order would not.
        await SeedAsync("u",
            "{\"id\":\"\uFFFD\",\"v\":\"\uFFFD\"}",
            "{\"id\":\"\uD83D\uDE00\",\"v\":\"\uD83D\uDE00\"}",
            "{\"id\":\"a\",\"v\":\"a\"}");
        string[] expected = ["a", "\uD83D\uDE00", "\uFFFD"];
        Assert.Equal(expected, Ids(await Storage.QueryAsync("u", null, Ct)));
        Assert.Equal(expected, Ids(await Storage.QueryAsync("u", new FilterOptions { Sort = [SortField.Asc("v")] }, Ct)));
    }

    [Fact]
    public async Task Query_InvalidFieldPath_ThrowsArgumentException()
    {
        await SeedAsync("x", """{"id":"1"}""");
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Storage.QueryAsync("x", FilterOptions.WhereEquals("a') OR 1=1 --", 1), Ct));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Storage.QueryAsync("x", new FilterOptions { Sort = [SortField.Asc("a b")] }, Ct));
    }

    [Fact]
    public async Task WriteBatch_AllWritesLandTogether_AcrossCollections()
    {
        await SeedAsync("a", """{"id":"gone"}""");
        await Storage.WriteBatchAsync(
        [
            StorageWrite.Set("a", "1", Doc("""{"id":"1"}""")),
            StorageWrite.Set("b", "2", Doc("""{"id":"2"}""")),
            StorageWrite.Delete("a", "gone"),
        ], Ct);

        Assert.Equal(["1"], Ids(await Storage.QueryAsync("a", null, Ct)));
        Assert.Equal(["2"], Ids(await Storage.QueryAsync("b", null, Ct)));
    }

    [Fact]
    public async Task WriteBatch_WithInvalidWrite_WritesNothing()
    {
        await SeedAsync("a", """{"id":"keep"}""");
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Storage.WriteBatchAsync(
        [
            StorageWrite.Set("a", "1", Doc("""{"id":"1"}""")),
            StorageWrite.Delete("a", "keep"),
            StorageWrite.Set("a", "", Doc("""{"id":""}""")),
        ], Ct));

        Assert.Equal(["keep"], Ids(await Storage.QueryAsync("a", null, Ct)));
    }

    [Fact]
    public async Task Set_ConcurrentWritersFromManyTasks_LoseNothing()
    {
        const int writers = 10;
        const int perWriter = 60;
        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                var id = $"w{w:D2}-{i:D3}";
                await Storage.SetAsync("conc", id, Doc($$"""{"id":"{{id}}","w":{{w}},"i":{{i}}}"""), Ct);
                if (i % 10 == 0)
                {
                    await Storage.QueryAsync("conc", FilterOptions.WhereEquals("w", w), Ct);
                }
            }
        })));

        var all = await Storage.QueryAsync("conc", null, Ct);
        Assert.Equal(writers * perWriter, all.Count);
        for (var w = 0; w < writers; w++)
        {
            Assert.Equal(perWriter, (await Storage.QueryAsync("conc", FilterOptions.WhereEquals("w", w), Ct)).Count);
        }
    }

    [Fact]
    public async Task Delete_Missing_IsFine_AndDeleteRemoves()
    {
        await Storage.DeleteAsync("none", "x", Ct);
        await SeedAsync("d", """{"id":"1"}""", """{"id":"2"}""");
        await Storage.DeleteAsync("d", "3", Ct);
        await Storage.DeleteAsync("d", "1", Ct);
        Assert.Null(await Storage.GetAsync("d", "1", Ct));
        Assert.Equal(["2"], Ids(await Storage.QueryAsync("d", null, Ct)));
    }

    [Fact]
    public async Task Clear_OneCollection_LeavesOthers_ThenAll_EmptiesEverything()
    {
        await SeedAsync("a", """{"id":"1"}""");
        await SeedAsync("b", """{"id":"2"}""");
        await Storage.ClearAsync("a", Ct);
        Assert.Empty(await Storage.QueryAsync("a", null, Ct));
        Assert.Single(await Storage.QueryAsync("b", null, Ct));

        await SeedAsync("a", """{"id":"3"}""");
        await Storage.ClearAsync(null, Ct);
        Assert.Empty(await Storage.QueryAsync("a", null, Ct));
        Assert.Empty(await Storage.QueryAsync("b", null, Ct));
    }

    [Fact]
    public async Task Get_ReturnedDocument_IsDetachedFromStore()
    {
        var source = JsonDocument.Parse("""{"id":"1","v":1}""");
        await Storage.SetAsync("c", "1", source.RootElement, Ct);
        source.Dispose(); // the store must have copied it
        var got = await Storage.GetAsync("c", "1", Ct);
        Assert.Equal(1, got!.Value.GetProperty("v").GetInt32());
    }
}

public sealed class InMemoryStorageAdapterTests : StorageAdapterContractTests
{
    protected override IStorageAdapter CreateAdapter() => new InMemoryStorageAdapter();
}
