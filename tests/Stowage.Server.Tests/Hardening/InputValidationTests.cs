using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Stowage.Server.Hosting;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Hardening;

/// <summary>Issue 15 item 8: input the validators let through.</summary>
public sealed class InputValidationTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Empty_or_blank_required_uuids_and_blank_path_uuids_are_SYS_1007(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        foreach (var path in new[] { "/volume-snapshots", "/volume-backups" })
        {
            foreach (var volume in new[] { "", "   " })
            {
                var body = new JsonObject
                {
                    ["params"] = new JsonObject
                    {
                        ["name"] = "s", ["volumeUuid"] = volume, ["url"] = "upload://s.qcow2",
                        ["backupStorageUuids"] = new JsonArray(JsonValue.Create(new string('0', 32))),
                    },
                };
                var r = await client.CallAsync(HttpMethod.Post, path, body);
                Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1007");
                Assert.Contains("volumeUuid", r.Body, StringComparison.Ordinal);
            }
        }

        foreach (var path in new[] { "/backup-storage/%20%20%20", "/zones/%20", "/images/%09" })
        {
            var r = await client.CallAsync(HttpMethod.Delete, path);
            Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1007");
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Control_characters_and_bidi_overrides_in_names_and_descriptions_are_refused(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        foreach (var bad in new[] { "zone\nfail: forged line", "\u001b[31mred", "gnp\u202e.exe", "tab\there" })
        {
            foreach (var field in new[] { "name", "description" })
            {
                var p = new JsonObject { ["name"] = "ok" };
                p[field] = bad;
                var r = await client.CallAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = p });
                Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1007");
                Assert.Contains("control character", r.Body, StringComparison.Ordinal);
            }
        }

        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/zones")));
        var ok = await client.CallAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "zone-ok", ["description"] = "ünïcode ✓ fine" } });
        Assert.True(ok.Status == HttpStatusCode.OK, ok.ToString());
    }

    [Fact]
    public async Task An_over_long_request_target_gets_414_with_an_error_envelope()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        foreach (var target in new[] { "/zones?q=name=" + new string('x', 100_000), "/zones/" + new string('a', 20_000) })
        {
            var r = await client.SendAsync(HttpMethod.Get, target);
            Assert.Equal(HttpStatusCode.RequestUriTooLong, r.Status);
            Assert.Equal("SYS.1007", r.ErrorCode);
            Assert.Contains("at most 16384", r.Body, StringComparison.Ordinal);
        }

        // Below the limit a long query is an ordinary query.
        var ok = await client.SendAsync(HttpMethod.Get, "/zones?q=name=" + new string('x', 8_000));
        Assert.True(ok.Status == HttpStatusCode.OK, ok.ToString());
    }

    [Fact]
    public void User_text_in_a_log_line_cannot_start_another_line_or_drive_the_terminal()
    {
        using var formatter = new EscapingConsoleFormatter();
        using var writer = new StringWriter();
        var entry = new LogEntry<string>(LogLevel.Warning, "Stowage.Test", new EventId(7), "image x\nfail: Stowage.Forged[0]\n      \u001b[2Jgone\u202e", null, (s, _) => s);
        formatter.Write(in entry, null, writer);
        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("warn: Stowage.Test[7]", lines[0]);
        Assert.Equal("      image x\\nfail: Stowage.Forged[0]\\n      \\u001b[2Jgone\\u202e", lines[1]);
    }

    [Fact]
    public void The_escaping_format_keeps_the_simple_formatters_timestamp_and_single_line_options()
    {
        var options = new SimpleConsoleFormatterOptions { SingleLine = true, UseUtcTimestamp = true, TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffffff " };
        using var formatter = new EscapingConsoleFormatter(new FixedOptions(options));
        using var writer = new StringWriter();
        var entry = new LogEntry<string>(LogLevel.Debug, "Stowage.Test", new EventId(3), "checking x\ny", null, (s, _) => s);
        formatter.Write(in entry, null, writer);
        var line = Assert.Single(writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT[\d:.]+ dbug: Stowage\.Test\[3\] checking x\\ny$", line);
        var stamp = DateTime.Parse(line[..27], System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);
        Assert.InRange(stamp, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddSeconds(1));
    }

    private sealed class FixedOptions(SimpleConsoleFormatterOptions value) : Microsoft.Extensions.Options.IOptionsMonitor<SimpleConsoleFormatterOptions>
    {
        public SimpleConsoleFormatterOptions CurrentValue => value;

        public SimpleConsoleFormatterOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<SimpleConsoleFormatterOptions, string?> listener) => null;
    }
}
