using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Utilities;
using Org.BouncyCastle.Security;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Makes ed25519 key pairs in OpenSSH's formats in process (BouncyCastle, which SSH.NET already brings):
/// no ssh-keygen process, no key file on disk, nothing on a command line.
/// </summary>
internal static class DownloadKeys
{
    public static SshKeyPair Create()
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var publicBlob = OpenSshPublicKeyUtilities.EncodePublicKey(pair.Public);
        var privateBlob = OpenSshPrivateKeyUtilities.EncodePrivateKey(pair.Private);
        var pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        var body = Convert.ToBase64String(privateBlob);
        for (var i = 0; i < body.Length; i += 70)
        {
            pem.Append(body, i, Math.Min(70, body.Length - i)).Append('\n');
        }

        pem.Append("-----END OPENSSH PRIVATE KEY-----\n");
        return new SshKeyPair("ssh-ed25519 " + Convert.ToBase64String(publicBlob), pem.ToString());
    }
}
