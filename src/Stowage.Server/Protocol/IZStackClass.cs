namespace Stowage.Server.Protocol;

/// <summary>An inventory whose concrete ZStack class depends on the row (polymorphic results in <c>schema</c>).</summary>
public interface IZStackClass
{
    string ZStackClass { get; }
}
