using Microsoft.AspNetCore.DataProtection;
using Stowage.Core.Storage;

namespace Stowage.Server.Storage;

/// <summary>
/// Encrypts storage credentials at rest with ASP.NET Core Data Protection (key ring in the data
/// directory). Only this class turns a stored cipher back into a secret.
/// </summary>
public sealed class CredentialProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Stowage.StorageCredential.v1");

    public string Protect(StorageSecret secret) =>
        _protector.Protect(System.Text.Json.JsonSerializer.Serialize(new Stored(secret.Kind.ToString(), secret.Value, secret.Passphrase)));

    public StorageSecret Unprotect(string cipher)
    {
        var stored = System.Text.Json.JsonSerializer.Deserialize<Stored>(_protector.Unprotect(cipher))!;
        return new StorageSecret(Enum.Parse<StorageSecretKind>(stored.Kind), stored.Value, stored.Passphrase);
    }

    private sealed record Stored(string Kind, string Value, string? Passphrase);
}
