using Stowage.Core.Resources;

namespace Stowage.Server.Hosting;

/// <summary>
/// A stable identity for this management server, kept in its data directory, so that after a restart
/// it recognises (and fails) the jobs it had been running.
/// </summary>
public sealed class NodeIdentity
{
    public NodeIdentity(string id) => Id = id;

    public string Id { get; }

    public static NodeIdentity LoadOrCreate(string dataDir)
    {
        var path = Path.Combine(dataDir, "node-id");
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (ResourceUuid.IsValid(text))
            {
                return new NodeIdentity(text);
            }
        }

        var id = ResourceUuid.New();
        using (var stream = new FileStream(path, DataDirectory.CreateOptions(FileMode.Create, FileAccess.Write)))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(id));
        }

        return new NodeIdentity(id);
    }
}
