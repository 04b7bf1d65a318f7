namespace Stowage.Console.Tests;

/// <summary>
/// The web console end to end (issue 18), in a real headless Chromium against a real server: login, every page
/// (each checked with axe-core for serious or critical violations), sessions ending, and the backup-storage
/// lifecycles of a FileSystem and an SFTP storage down to Disconnected appearing without a reload.
/// </summary>
[Collection(ConsoleCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class ConsoleTests(ConsoleFixture f)
{
    private Browser B => f.Browser;

    [Fact]
    public async Task FileSystem_storage_from_add_to_delete()
    {
        var zone = "zone-" + Guid.NewGuid().ToString("N")[..6];
        using (var api = f.Host.Client())
        {
            await api.LoginAsync();
            await api.CreateZoneAsync(zone);
        }

        Login();
        var violations = new List<string>();
        // The storage directory sits in a parent of its own: moving the parent away makes the storage unreachable
        // (a reconnect would re-create a missing directory whose parent exists, as a fresh mount point would be).
        var parent = Directory.CreateTempSubdirectory("stowage-console-fs-").FullName;
        var dir = Path.Combine(parent, "store");
        var name = "fs-" + Guid.NewGuid().ToString("N")[..6];

        // Add through the form the catalogue built for FileSystemBackupStorage.
        B.Go("#/storage");
        B.Click("#add-bs > summary");
        B.Select("#add-type", "FileSystemBackupStorage");
        B.Type("form[data-api=AddFileSystemBackupStorage] [name=name]", name);
        B.Type("form[data-api=AddFileSystemBackupStorage] [name=url]", dir);
        B.Shot("fs-add-form");
        B.Click("form[data-api=AddFileSystemBackupStorage] button[type=submit]");
        B.UntilText("#bs-status", "Connected");
        var uuid = B.Driver.Url.Split('/').Last();
        B.Shot("fs-detail");
        Check("storage-detail", violations);

        // An image from a loopback URL: the live progress reaches 100 %.
        var url = f.Source.Add("console.img", new byte[3 * 1024 * 1024]);
        B.Go("#/images");
        B.Type("form[data-api=AddImage] [name=name]", "from-url-" + name);
        B.Type("form[data-api=AddImage] [name=url]", url);
        B.Js("const s = document.querySelector('#add-image-bs'); [...s.options].forEach(o => o.selected = o.value === arguments[0]);", uuid);
        B.Click("form[data-api=AddImage] button[type=submit]");
        B.UntilText("#add-progress .pct", "100 %");
        B.UntilText("#add-progress", "Done.");
        B.Shot("image-added");

        // An upload from the browser through the resumable upload URL, in two pieces. The second piece never
        // leaves (the page is reloaded mid-upload, as a closed tab would be); picking the same file again offers
        // Resume, which asks HEAD where the server stopped. Its first attempt then fails as a dropped connection
        // would, and the console asks HEAD again and goes on from there.
        var file = parent + "-upload.qcow2";
        const int uploadSize = (8 * 1024 * 1024) + 500_000;
        File.WriteAllBytes(file, [.. Enumerable.Range(0, uploadSize).Select(i => (byte)(i * 7))]);
        const string countFetches = """
            window.__puts = 0; window.__heads = 0;
            const hang = arguments[0]; const real = window.fetch.bind(window);
            window.fetch = (url, init) => {
              if (init?.method === 'PUT' && ++window.__puts === (hang ? 2 : 1)) return hang ? new Promise(() => {}) : Promise.reject(new TypeError('connection dropped (test)'));
              if (init?.method === 'HEAD') window.__heads++;
              return real(url, init);
            };
            """;
        B.Js(countFetches, true);
        B.Find("#upload-file").SendKeys(file);
        B.Type("#upload-name", "uploaded-" + name);
        B.Select("#upload-format", "raw");
        B.Select("#upload-bs", uuid);
        B.Click("#upload-form button[type=submit]");
        B.Until(() => B.Js("return window.__puts;") is 2L, "the second piece started");
        Assert.Contains("uploaded-" + name, (string?)B.Js("return localStorage.getItem('stowage.uploads');") ?? "", StringComparison.Ordinal);
        B.Driver.Navigate().Refresh();
        B.UntilText("#upload-pending", "uploaded-" + name);
        B.Js(countFetches, false);
        B.Find("#upload-file").SendKeys(file);
        B.Click("#upload-resume-go");
        B.UntilText("#upload-progress .pct", "100 %");
        B.UntilText("#image-list", "uploaded-" + name);
        Assert.Equal(2L, B.Js("return window.__puts;"));
        Assert.Equal(2L, B.Js("return window.__heads;"));
        Assert.Equal("[]", B.Js("return localStorage.getItem('stowage.uploads');"));
        B.UntilText("#image-list", "8.48 MiB");
        B.Shot("image-uploaded");
        Check("images", violations);

        // The image's page: copies, sums, export link.
        B.Click("#image-list a[href^='#/images/']");
        B.Find("#image-copies table");
        B.Click("#image-copies button.export");
        var link = B.Until(() => B.Driver.FindElements(OpenQA.Selenium.By.CssSelector("#export-url")).FirstOrDefault()?.GetAttribute("value") is { Length: > 0 } v ? v : null, "export URL");
        Assert.Contains("/exports/", link, StringComparison.Ordinal);
        B.Shot("image-detail");
        Check("image-detail", violations);

        // Verify the copy from the image page: the outcome shows with the time it was verified.
        B.Click("#image-copies button.verify");
        B.UntilText("#verify-results", "Ok");
        B.UntilText("#image-copies td[data-label='Last verified']", "Ok");
        // One byte of the stored file changes: verifying every copy finds it Corrupted (the only copy, so the repair
        // fails) and says why; a Corrupted copy offers no export link.
        Corrupt(StoredFile(dir, (string)B.Js("return document.querySelector('#image-copies td[data-label=Path] code').textContent;")!));
        B.Click("#act-verify-all");
        B.UntilText("#verify-results", "Corrupted");
        B.Find("#image-copies .copy-status[data-status='Corrupted']");
        B.UntilText("#image-copies", "Reason: ");
        Assert.False(B.Has("#image-copies button.export"));
        B.Js("document.getElementById('h-c').scrollIntoView();");
        B.Shot("doc-image-detail");
        Check("image-detail-corrupted", violations);

        // A volume snapshot on the storage (through the API): its row verifies it, offers the copy form, and the
        // storage's page verifies every copy on it: the snapshot and the URL image are intact, the uploaded one is not.
        using (var api = f.Host.Client())
        {
            await api.LoginAsync();
            var snapBody = new System.Text.Json.Nodes.JsonObject
            {
                ["params"] = new System.Text.Json.Nodes.JsonObject
                {
                    ["name"] = "snap-" + name, ["url"] = f.Source.Add("snap.img", new byte[2 * 1024 * 1024]),
                    ["volumeUuid"] = "0123456789abcdef0123456789abcdef", ["treeUuid"] = "fedcba9876543210fedcba9876543210",
                    ["backupStorageUuids"] = new System.Text.Json.Nodes.JsonArray(uuid),
                },
            };
            var added = await api.CallAsync(HttpMethod.Post, "/volume-snapshots", snapBody);
            Assert.True(added.Status == System.Net.HttpStatusCode.OK, added.ToString());
        }

        B.Go("#/storage/" + uuid);
        B.UntilText("#bs-archive-list", "snap-" + name);
        B.Click("#bs-archive-list button.verify");
        B.UntilText("#archive-verify-results", "Ok");
        B.UntilText("#bs-archive-list td[data-label='Last verified']", "Ok");
        B.Click("#bs-archive-list button.copy");
        B.Until(() => B.Has("#bs-archive-action form[data-api=CopyVolumeSnapshotToBackupStorage] #archive-copy-dst") || B.Has("#bs-archive-action p.empty"), "the copy form");
        B.Click("#act-verify");
        B.UntilText("#bs-verify-results", "3 copies verified: 2 ok, 1 corrupted");
        B.UntilText("#bs-images", "Corrupted");
        Check("storage-detail-verified", violations);
        B.Js("document.getElementById('h-a').scrollIntoView();");
        B.Shot("storage-archives");
        B.Click("#bs-archive-list button.delete");
        B.UntilText("dialog.modal", "only copy");
        B.Click("dialog.modal button[value=ok]");
        B.UntilText("#bs-archives", "No volume snapshot or backup here.");

        // Attach to a zone from the detail page; the chart has samples by now.
        B.UntilText("#bs-status", "Connected");
        B.Select("#bs-zones select", B.Until(() => (string?)B.Js("return [...document.querySelectorAll('#bs-zones option')].find(o => o.textContent === arguments[0])?.value;", zone), "zone option"));
        B.Click("#bs-zones button[type=submit]");
        B.UntilText("#bs-zones", "Detach from " + zone);
        B.Find("#bs-chart svg");
        B.Shot("doc-storage-detail");

        // The populated pages, for docs/console.md.
        B.Go("#/dashboard");
        B.Find($"article.card[data-bs='{uuid}'][data-status='Connected']");
        B.UntilText("#zone-totals", zone);
        B.UntilText("#ping-round", "Duration");
        B.Shot("doc-dashboard");
        B.Go("#/storage");
        B.UntilText("#bs-list", name);
        B.Shot("doc-storage");
        B.Go("#/jobs");
        B.UntilText("#jobs-done", "AddImage");
        B.Shot("doc-jobs");

        // Disable and enable again.
        B.Go("#/storage/" + uuid);
        B.UntilText("#bs-status", "Connected");
        B.Click("#act-state");
        B.UntilText("#bs-head", "Disabled");
        B.Click("#act-state");
        B.UntilText("#bs-head", "Enabled");

        // The directory goes away: the dashboard shows Disconnected by itself, without a reload.
        B.Go("#/dashboard");
        B.Find($"article.card[data-bs='{uuid}'][data-status='Connected']");
        B.Js("window.__noReload = true;");
        Directory.Move(parent, parent + "-gone");
        B.Find($"article.card[data-bs='{uuid}'][data-status='Disconnected']");
        Assert.Equal(true, B.Js("return window.__noReload === true;"));
        B.Shot("fs-disconnected");
        Directory.Move(parent + "-gone", parent);

        // The same change as an event on the jobs and events page.
        B.Go("#/jobs");
        B.UntilText("#events", "/backup-storage/disconnected");
        B.UntilText("#events", uuid);
        Check("jobs-events", violations);

        Delete(uuid);
        Assert.True(violations.Count == 0, "serious or critical accessibility violations:\n" + string.Join('\n', violations));
        Directory.Delete(parent, recursive: true);
        File.Delete(file);
    }

    [Fact]
    public async Task Sftp_storage_goes_Disconnected_when_its_host_stops()
    {
        Login();
        var name = "sftp-" + Guid.NewGuid().ToString("N")[..6];
        B.Go("#/storage");
        B.Click("#add-bs > summary");
        B.Select("#add-type", "SftpBackupStorage");
        const string form = "form[data-api=AddSftpBackupStorage]";
        B.Type($"{form} [name=name]", name);
        B.Type($"{form} [name=url]", f.Sshd.NewOwnedDir());
        B.Type($"{form} [name=hostname]", f.Sshd.Host);
        B.Type($"{form} [name=username]", f.Sshd.User);
        B.Click($"{form} details.optional > summary");
        B.Type($"{form} [name=password]", f.Sshd.Password);
        B.Type($"{form} [name=sshPort]", f.Sshd.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        B.Click($"{form} button[type=submit]");
        B.UntilText("#bs-status", "Connected");
        var uuid = B.Driver.Url.Split('/').Last();
        B.UntilText("#bs-head", f.Sshd.HostKeyFingerprint);
        B.Shot("sftp-detail");

        B.Go("#/dashboard");
        B.Find($"article.card[data-bs='{uuid}'][data-status='Connected']");
        B.Js("window.__noReload = true;");
        f.Sshd.Stop();
        try
        {
            B.Find($"article.card[data-bs='{uuid}'][data-status='Disconnected']");
            Assert.Equal(true, B.Js("return window.__noReload === true;"));
            B.Find($"article.card[data-bs='{uuid}'] .lasterror");
            B.Shot("sftp-disconnected");
        }
        finally
        {
            await f.Sshd.StartAsync();
        }

        Delete(uuid);
    }

    private void Delete(string uuid)
    {
        B.Go("#/storage/" + uuid);
        B.Click("#act-delete");
        B.Find("dialog.modal select[name=deleteMode]");
        B.Shot("delete-dialog");
        B.Click("dialog.modal button[value=ok]");
        B.Until(() => B.Driver.Url.EndsWith("#/storage", StringComparison.Ordinal), "back on the list after delete");
        B.Until(() => !B.Driver.PageSource.Contains(uuid, StringComparison.Ordinal), "storage gone from the list");
    }

    private void Login()
    {
        B.Go("#/dashboard");
        B.Until(() => B.Has("form.login") || B.Has("#bs-cards"), "login form or dashboard");
        if (B.Has("form.login"))
        {
            B.Type("form.login input[name=accountName]", "admin");
            B.Type("form.login input[name=password]", "password");
            B.Click("form.login button[type=submit]");
        }

        B.Until(() => B.Driver.FindElement(OpenQA.Selenium.By.Id("top")).Displayed, "the console's navigation");
    }

    /// <summary>The local file of a FileSystem install path (the storage's url is a local directory).</summary>
    private static string StoredFile(string dir, string installPath)
    {
        var path = installPath.StartsWith("file://", StringComparison.Ordinal) ? installPath["file://".Length..] : installPath;
        path = Path.IsPathRooted(path) ? path : Path.Combine(dir, path);
        Assert.True(File.Exists(path), $"stored file {path} (install path {installPath})");
        return path;
    }

    /// <summary>Flips the middle byte of a stored (read-only) file, keeping its size and mode.</summary>
    private static void Corrupt(string path)
    {
        var mode = File.GetUnixFileMode(path);
        File.SetUnixFileMode(path, mode | UnixFileMode.UserWrite);
        using (var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            s.Position = s.Length / 2;
            var b = s.ReadByte();
            s.Position = s.Length / 2;
            s.WriteByte((byte)~b);
        }

        File.SetUnixFileMode(path, mode);
    }

    private void ColorScheme(string scheme) => B.Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
    {
        ["features"] = new[] { new Dictionary<string, object?> { ["name"] = "prefers-color-scheme", ["value"] = scheme } },
    });

    private void Check(string page, List<string> violations)
    {
        // The page's first data is on screen (the console marks it), so the screenshot and axe see the real page.
        B.Until(() => B.Has("form.login") || B.Has("main[data-ready='1']"), "page ready");
        B.Shot(page);
        violations.AddRange(B.SeriousA11yViolations().Select(v => $"{page}: {v}"));
    }
}
