namespace Stowage.Server.Protocol;

/// <summary>Every API the server serves. Feature folders contribute descriptors; routing, OpenAPI and the CLI read them.</summary>
public sealed class ApiCatalog
{
    private readonly List<ApiDescriptor> _apis = [];

    public ApiCatalog(IEnumerable<IApiFeature> features)
    {
        foreach (var f in features)
        {
            foreach (var api in f.Apis)
            {
                if (_apis.Any(a => a.Name == api.Name))
                {
                    throw new InvalidOperationException($"API {api.Name} is declared twice");
                }

                _apis.Add(api);
            }
        }
    }

    public IReadOnlyList<ApiDescriptor> All => _apis;

    public ApiDescriptor? Find(string name) => _apis.FirstOrDefault(a => a.Name == name);
}

/// <summary>A feature folder's list of APIs.</summary>
public interface IApiFeature
{
    IEnumerable<ApiDescriptor> Apis { get; }
}
