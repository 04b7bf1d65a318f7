namespace Stowage.Sftp.Tests.Infrastructure;

/// <summary>The driver tests share one sshd (the server tests share it through their StorageWorld instead).</summary>
[CollectionDefinition(Name)]
public sealed class SshdCollection : ICollectionFixture<SshdFixture>
{
    public const string Name = "sshd";
}
