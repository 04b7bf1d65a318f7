namespace Stowage.ObjectStore.Tests.Infrastructure;

[CollectionDefinition(Name)]
public sealed class SwiftCollection : ICollectionFixture<SwiftFixture>
{
    public const string Name = "swift";
}
