using System.ComponentModel;
using System.Diagnostics;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>Starting, stopping and cleaning up after an OpenSSH child: shared by export reads and bulk writes.</summary>
internal static class OpenSshChild
{
    /// <summary>
    /// Checks OpenSSH can do this login, writes the per-call known_hosts file (the pinned key) and starts ssh
    /// (through its agent wrapper for a key login). Answers the process and the files to delete when it ends;
    /// throws <see cref="OpenSshUnusableException"/> when OpenSSH cannot be used, so the caller takes SSH.NET.
    /// </summary>
    public static async Task<(Process Process, string[] Files)> StartAsync(
        OpenSshTools tools, SftpEndpoint endpoint, string knownHostsLine, string remoteScript, TimeSpan connectTimeout, bool stdinCarriesData, CancellationToken cancellationToken)
    {
        var usesKey = endpoint.Secret.Kind != StorageSecretKind.Password;
        if (usesKey && tools.Agent is null)
        {
            throw new OpenSshUnusableException("no ssh-agent for a private-key login");
        }

        if (!usesKey && endpoint.Secret.Value.AsSpan().ContainsAny('\n', '\r'))
        {
            // ssh reads one line from askpass.
            throw new OpenSshUnusableException("the password holds a line break, which askpass cannot pass");
        }

        var knownHosts = tools.NewPath("known_hosts");
        var socket = usesKey ? tools.NewPath("agent") : null;
        try
        {
            await File.WriteAllTextAsync(knownHosts, knownHostsLine + "\n", cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A full or unwritable temp directory should cost speed, not the transfer.
            throw new OpenSshUnusableException("cannot write the known_hosts file: " + ex.Message);
        }

        var files = socket is null ? new[] { knownHosts } : [knownHosts, socket];
        var info = OpenSshCommand.Build(tools, endpoint, knownHosts, socket, remoteScript, connectTimeout, stdinCarriesData);
        try
        {
            return (Process.Start(info) ?? throw new OpenSshUnusableException("ssh did not start"), files);
        }
        catch (Win32Exception ex)
        {
            DeleteFiles(files);
            throw new OpenSshUnusableException("ssh cannot be started: " + ex.Message);
        }
    }

    /// <summary>Kills ssh and its agent if they still run.</summary>
    public static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }

    public static void DeleteFiles(string[] files)
    {
        foreach (var file in files)
        {
            try
            {
                File.Delete(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The private directory goes with the process in any case.
            }
        }
    }
}
