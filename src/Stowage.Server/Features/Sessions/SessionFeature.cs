using System.Text.Json.Nodes;
using Stowage.Server.Identity;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Sessions;

/// <summary>ZStack's SessionInventory.</summary>
public sealed record SessionInventory(string Uuid, string AccountUuid, string UserUuid, string UserType, DateTime ExpiredDate, DateTime CreateDate)
{
    public const string ClassName = "org.zstack.header.identity.SessionInventory";
}

public sealed class SessionFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis => [LogIn, LogOut, Validate];

    public static ApiDescriptor LogIn { get; } = new()
    {
        Name = "LogInByAccount",
        Method = "PUT",
        ExtraMethods = ["POST"],
        Path = "/accounts/login",
        BodyKey = "logInByAccount",
        Kind = ApiKind.Sync,
        NeedSession = false,
        ResultClass = SessionInventory.ClassName,
        Description = "Open a session; password is the sha512 hex digest of the clear password",
        Params =
        [
            new("accountName") { Required = true, MaxLength = 255, Description = "account name, e.g. admin" },
            new("password") { Required = true, MaxLength = 255, Secret = true, Description = "sha512 hex digest of the password" },
            new("accountType") { MaxLength = 255, Description = "accepted for SDK compatibility" },
            new("captchaUuid") { MaxLength = 255, Description = "accepted for SDK compatibility" },
            new("verifyCode") { MaxLength = 255, Description = "accepted for SDK compatibility" },
            new("clientInfo", ParamType.Map) { Description = "accepted for SDK compatibility" },
        ],
        Handler = async ctx =>
        {
            var s = await ctx.Get<SessionService>().LogInAsync(ctx.Args.RequiredString("accountName"), ctx.Args.RequiredString("password"), ctx.CancellationToken);
            return ApiReply.Inventory(new SessionInventory(s.Uuid, s.AccountUuid, s.UserUuid, "Account", s.ExpiredDate, s.CreateDate), SessionInventory.ClassName);
        },
    };

    public static ApiDescriptor LogOut { get; } = new()
    {
        Name = "LogOut",
        Method = "DELETE",
        Path = "/accounts/sessions/{sessionUuid}",
        Kind = ApiKind.Sync,
        NeedSession = false,
        Description = "Close a session",
        Params = [new("sessionUuid") { InPath = true, Required = true, MaxLength = 64, Description = "session uuid" }, new("clientInfo", ParamType.Map) { Description = "ignored" }],
        Handler = async ctx =>
        {
            await ctx.Get<SessionService>().LogOutAsync(ctx.Args.RequiredString("sessionUuid"), ctx.CancellationToken);
            return ApiReply.Empty();
        },
    };

    public static ApiDescriptor Validate { get; } = new()
    {
        Name = "ValidateSession",
        Method = "GET",
        Path = "/accounts/sessions/{sessionUuid}/valid",
        Kind = ApiKind.Sync,
        NeedSession = false,
        Description = "Tell whether a session is still valid",
        Params = [new("sessionUuid") { InPath = true, Required = true, MaxLength = 64, Description = "session uuid" }],
        Handler = async ctx =>
        {
            var s = await ctx.Get<SessionService>().FindValidAsync(ctx.Args.RequiredString("sessionUuid"), ctx.CancellationToken);
            return ApiReply.Of(new JsonObject { ["valid"] = s is not null });
        },
    };
}
