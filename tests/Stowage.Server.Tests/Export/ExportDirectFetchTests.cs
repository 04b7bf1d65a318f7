using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Export;

[Collection(StorageCollection.Name)]
public sealed class ExportDirectFetchTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task Download_credential_reads_with_openssh_sftp_but_cannot_write_and_rotation_locks_out_the_old_key()
    {
        await using var w = await ExportWorld.StartAsync(sshd, 300_000);
        var authorized = Path.Combine(Proc.Run("getent", "passwd", sshd.User).Split(':')[5], ".ssh", "authorized_keys");
        var linesBefore = File.ReadAllLines(authorized).Where(l => !l.Contains("stowage-download-", StringComparison.Ordinal)).ToList();
        var path = $"/backup-storage/sftp/{w.Bs}/download-credential";
        var r = await w.Client.CallAsync(HttpMethod.Get, path);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        var cred = r.Json!;
        Assert.Equal(sshd.User, cred["username"]!.GetValue<string>());
        Assert.Equal(sshd.Port, cred["sshPort"]!.GetValue<int>());
        Assert.Equal(w.BsUrl, cred["url"]!.GetValue<string>());
        Assert.StartsWith("-----BEGIN OPENSSH PRIVATE KEY-----", cred["privateKey"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(cred["publicKey"]!.GetValue<string>(), (await w.Client.CallAsync(HttpMethod.Get, path)).Json!["publicKey"]!.GetValue<string>());

        var lines = File.ReadAllLines(authorized);
        Assert.Single(lines, l => l.EndsWith("stowage-download-" + w.Bs, StringComparison.Ordinal));
        Assert.All(linesBefore, l => Assert.Contains(l, lines));

        var installPath = (await ImageKit.QueryAsync(w.Client)).Single()!["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        using var session = new SftpSession(cred, sshd);
        var local = session.Local("got.raw");
        Assert.Equal(0, session.Batch($"get {installPath} {local}").Exit);
        Assert.Equal(ImageKit.Sha256(w.Content), ImageKit.Sha256(File.ReadAllBytes(local)));
        Assert.NotEqual(0, session.Batch($"put {local} {w.BsUrl}/planted.raw").Exit);
        Assert.NotEqual(0, session.Batch($"rm {installPath}").Exit);
        Assert.NotEqual(0, session.Batch($"mkdir {w.BsUrl}/newdir").Exit);
        Assert.True(File.Exists(installPath));
        Assert.False(File.Exists(Path.Combine(w.BsUrl, "planted.raw")));

        var rotated = await BsKit.ActionAsync(w.Client, $"/backup-storage/sftp/{w.Bs}/actions", "rotateSftpBackupStorageDownloadCredential");
        Assert.True(rotated.Status == HttpStatusCode.OK, rotated.ToString());
        Assert.Null(rotated.Json!["privateKey"]);
        Assert.NotEqual(cred["publicKey"]!.GetValue<string>(), rotated.Json!["publicKey"]!.GetValue<string>());
        Assert.NotEqual(0, session.Batch($"get {installPath} {local}.2").Exit);
        var fresh = (await w.Client.CallAsync(HttpMethod.Get, path)).Json!;
        using (var second = new SftpSession(fresh, sshd))
        {
            Assert.Equal(0, second.Batch($"get {installPath} {second.Local("again.raw")}").Exit);
        }

        Assert.Single(File.ReadAllLines(authorized), l => l.EndsWith("stowage-download-" + w.Bs, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await w.Client.CallAsync(HttpMethod.Delete, $"/backup-storage/{w.Bs}")).Status);
        var after = File.ReadAllLines(authorized);
        Assert.DoesNotContain(after, l => l.Contains("stowage-download-" + w.Bs, StringComparison.Ordinal));
        Assert.All(linesBefore, l => Assert.Contains(l, after));
    }

    /// <summary>OpenSSH's sftp client with the returned key, pinned to the returned host key fingerprint.</summary>
    private sealed class SftpSession : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("stowage-fetch-").FullName;
        private readonly string _user;
        private readonly int _port;

        public SftpSession(JsonNode cred, SshdFixture sshd)
        {
            _user = cred["username"]!.GetValue<string>();
            _port = cred["sshPort"]!.GetValue<int>();
            var key = Path.Combine(_dir, "id");
            File.WriteAllText(key, cred["privateKey"]!.GetValue<string>());
            Proc.Run("chmod", "600", key);

            // Only a host key whose fingerprint is the one Stowage returned goes into known_hosts.
            var scanned = Proc.Run("ssh-keyscan", "-t", "ed25519", "-p", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), sshd.Host);
            var scanFile = Path.Combine(_dir, "scan");
            File.WriteAllText(scanFile, scanned);
            var fingerprint = Proc.Run("ssh-keygen", "-l", "-E", "sha256", "-f", scanFile).Split(' ')[1];
            Assert.Equal(cred["hostKeyFingerprint"]!.GetValue<string>().TrimEnd('='), fingerprint.TrimEnd('='));
            File.WriteAllText(Path.Combine(_dir, "known_hosts"), scanned);
        }

        public string Local(string name) => Path.Combine(_dir, name);

        public (int Exit, string Error) Batch(string command)
        {
            var batch = Local("batch");
            File.WriteAllText(batch, command + "\n");
            var psi = new ProcessStartInfo("sftp") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in new[]
            {
                "-b", batch, "-P", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", Local("id"),
                "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey",
                "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + Local("known_hosts"), $"{_user}@127.0.0.1",
            })
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, err.Result);
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }
}
