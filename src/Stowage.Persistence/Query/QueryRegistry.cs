namespace Stowage.Persistence.Query;

/// <summary>Every queryable resource by name; features add theirs at start-up.</summary>
public sealed class QueryRegistry
{
    private readonly Dictionary<string, QueryResource> _resources = new(StringComparer.Ordinal);

    public QueryRegistry(IEnumerable<QueryResource> resources)
    {
        foreach (var r in resources)
        {
            _resources.Add(r.Name, r);
        }

        foreach (var r in _resources.Values)
        {
            foreach (var rel in r.Relations)
            {
                if (!_resources.ContainsKey(rel.TargetResource))
                {
                    throw new InvalidOperationException($"relation {r.Name}.{rel.Name} targets unknown resource {rel.TargetResource}");
                }
            }
        }
    }

    public QueryResource Get(string name) => _resources[name];

    public IEnumerable<QueryResource> All => _resources.Values;
}
