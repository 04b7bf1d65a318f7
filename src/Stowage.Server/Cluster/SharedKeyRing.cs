using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Cluster;

/// <summary>
/// The Data Protection key ring kept in the database, so that every server of a cluster can decrypt the
/// storage credentials any of them stored; each key is encrypted with the <see cref="ClusterSecret"/>.
/// </summary>
public sealed class DatabaseXmlRepository(StowageDbContextFactory dbFactory) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var db = dbFactory.CreateDbContext();
        return [.. db.DataProtectionKeys.AsNoTracking().OrderBy(k => k.Id).Select(k => k.Xml).ToList().Select(x => XElement.Parse(x))];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var db = dbFactory.CreateDbContext();
        db.DataProtectionKeys.Add(new DataProtectionKeyEntity { FriendlyName = friendlyName, Xml = element.ToString(SaveOptions.DisableFormatting) });
        db.SaveChanges();
    }
}

/// <summary>AES-GCM with the cluster secret: a key element leaves the server only encrypted.</summary>
public sealed class ClusterSecretXmlEncryptor(ClusterSecret secret) : IXmlEncryptor
{
    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plain = System.Text.Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
        var cipher = new byte[plain.Length];
        var tag = new byte[AesGcm.TagByteSizes.MaxSize];
        using (var aes = new AesGcm(secret.Key, tag.Length))
        {
            aes.Encrypt(nonce, plain, cipher, tag);
        }

        var element = new XElement("clusterSecretEncrypted",
            new XAttribute("nonce", Convert.ToBase64String(nonce)),
            new XAttribute("tag", Convert.ToBase64String(tag)),
            Convert.ToBase64String(cipher));
        return new EncryptedXmlInfo(element, typeof(ClusterSecretXmlDecryptor));
    }
}

/// <summary>Created by Data Protection for each encrypted key; fails clearly when the secret differs.</summary>
public sealed class ClusterSecretXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement) => Decrypt(encryptedElement, services.GetService(typeof(ClusterSecret)) as ClusterSecret
        ?? throw new InvalidOperationException("no cluster secret is configured"));

    public static XElement Decrypt(XElement encryptedElement, ClusterSecret secret)
    {
        var nonce = Convert.FromBase64String((string)encryptedElement.Attribute("nonce")!);
        var tag = Convert.FromBase64String((string)encryptedElement.Attribute("tag")!);
        var cipher = Convert.FromBase64String(encryptedElement.Value);
        var plain = new byte[cipher.Length];
        try
        {
            using var aes = new AesGcm(secret.Key, tag.Length);
            aes.Decrypt(nonce, cipher, tag, plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new InvalidOperationException(
                $"the key ring in the database was encrypted with another cluster secret than {secret.Path}; give every server the same --cluster-secret-file");
        }

        return XElement.Parse(System.Text.Encoding.UTF8.GetString(plain));
    }

    /// <summary>Refuses to start a server whose secret cannot read the keys the cluster already uses.</summary>
    public static void VerifyAll(DatabaseXmlRepository repository, ClusterSecret secret)
    {
        foreach (var encrypted in repository.GetAllElements().SelectMany(e => e.Descendants("clusterSecretEncrypted")))
        {
            Decrypt(encrypted, secret);
        }
    }
}
