using Stowage.Core.Errors;
using Stowage.Core.Query;

namespace Stowage.Core.Tests;

public sealed class QueryConditionParserTests
{
    [Theory]
    [InlineData("name=zone1", "name", QueryOp.Eq, "zone1")]
    [InlineData("name!=zone1", "name", QueryOp.NotEq, "zone1")]
    [InlineData("id>3", "id", QueryOp.Gt, "3")]
    [InlineData("id<3", "id", QueryOp.Lt, "3")]
    [InlineData("id>=3", "id", QueryOp.Ge, "3")]
    [InlineData("id<=3", "id", QueryOp.Le, "3")]
    [InlineData("name?=a,b,c", "name", QueryOp.In, "a,b,c")]
    [InlineData("name!?=a,b", "name", QueryOp.NotIn, "a,b")]
    [InlineData("name~=zone%", "name", QueryOp.Like, "zone%")]
    [InlineData("name!~=zone_", "name", QueryOp.NotLike, "zone_")]
    [InlineData("zone.name=z", "zone.name", QueryOp.Eq, "z")]
    [InlineData("a.b.c_d9=1", "a.b.c_d9", QueryOp.Eq, "1")]
    [InlineData("__userTag__=lab1", "__userTag__", QueryOp.Eq, "lab1")]
    [InlineData("__systemTag__!~=x::%", "__systemTag__", QueryOp.NotLike, "x::%")]
    public void Binary_operators(string text, string field, QueryOp op, string value)
    {
        Assert.Equal(new QueryCondition(field, op, value), QueryConditionParser.Parse(text));
    }

    [Theory]
    [InlineData("description is null", QueryOp.IsNull)]
    [InlineData("description not null", QueryOp.NotNull)]
    [InlineData("description IS NULL", QueryOp.IsNull)]
    [InlineData("description Not Null", QueryOp.NotNull)]
    [InlineData("description   is null  ", QueryOp.IsNull)]
    [InlineData("  description not null", QueryOp.NotNull)]
    public void Null_tests_have_no_value(string text, QueryOp op)
    {
        Assert.Equal(new QueryCondition("description", op, null), QueryConditionParser.Parse(text));
    }

    [Theory]
    [InlineData("name=a!=b", QueryOp.Eq, "a!=b")]
    [InlineData("name!=a=b", QueryOp.NotEq, "a=b")]
    [InlineData("name=>=<=", QueryOp.Eq, ">=<=")]
    [InlineData("name~=%!~=%", QueryOp.Like, "%!~=%")]
    [InlineData("name?=x?=y", QueryOp.In, "x?=y")]
    [InlineData("name=x is null", QueryOp.Eq, "x is null")]
    [InlineData("name= is null", QueryOp.Eq, " is null")]
    [InlineData("name>=>", QueryOp.Ge, ">")]
    [InlineData("name<<", QueryOp.Lt, "<")]
    [InlineData("name==", QueryOp.Eq, "=")]
    public void Operators_inside_the_value_stay_in_the_value(string text, QueryOp op, string value)
    {
        Assert.Equal(new QueryCondition("name", op, value), QueryConditionParser.Parse(text));
    }

    [Theory]
    [InlineData("name= zone1 ", " zone1 ")]
    [InlineData("name=  ", "  ")]
    [InlineData("name=", "")]
    [InlineData("name=\ta\t", "\ta\t")]
    public void Value_is_not_trimmed(string text, string value)
    {
        Assert.Equal(value, QueryConditionParser.Parse(text).Value);
    }

    [Fact]
    public void Spaces_around_the_field_are_dropped_but_not_in_the_value()
    {
        Assert.Equal(new QueryCondition("name", QueryOp.NotEq, " x"), QueryConditionParser.Parse("  name != x"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("name")]
    [InlineData("name zone1")]
    [InlineData("name is nul")]
    [InlineData("name is nullx")]
    [InlineData("name isnull")]
    [InlineData("name!")]
    [InlineData("name?")]
    [InlineData("name~")]
    [InlineData("name!~x")]
    [InlineData("=zone1")]
    [InlineData("!=zone1")]
    [InlineData(" is null")]
    [InlineData(".x=1")]
    [InlineData("x.=1")]
    [InlineData("x..y=1")]
    [InlineData(".=1")]
    [InlineData("na-me=1")]
    [InlineData("na me=1")]
    [InlineData("näme=1")]
    [InlineData("name\0=1")]
    public void Malformed_conditions_are_bad_requests(string text)
    {
        var e = Assert.Throws<BadRequestException>(() => QueryConditionParser.Parse(text));
        Assert.Equal("SYS.1007", e.Error.Code);
        Assert.Contains(text, e.Error.Details, StringComparison.Ordinal);
        Assert.Contains(QueryConditionParser.ValidOperators, e.Error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_text_is_a_programming_error()
    {
        Assert.Throws<ArgumentNullException>(() => QueryConditionParser.Parse(null!));
    }

    [Theory]
    [InlineData(QueryOp.Eq, "name=v")]
    [InlineData(QueryOp.NotIn, "name!?=v")]
    [InlineData(QueryOp.NotLike, "name!~=v")]
    [InlineData(QueryOp.Ge, "name>=v")]
    public void ToString_round_trips(QueryOp op, string text)
    {
        var c = new QueryCondition("name", op, "v");
        Assert.Equal(text, c.ToString());
        Assert.Equal(c, QueryConditionParser.Parse(c.ToString()));
    }

    [Theory]
    [InlineData(QueryOp.IsNull)]
    [InlineData(QueryOp.NotNull)]
    public void ToString_round_trips_null_tests(QueryOp op)
    {
        var c = new QueryCondition("description", op, null);
        Assert.Equal(c, QueryConditionParser.Parse(c.ToString()));
    }

    [Fact]
    public void Request_defaults()
    {
        var r = new QueryRequest([]);
        Assert.Equal(1000, r.Limit);
        Assert.Equal(0, r.Start);
        Assert.False(r.Count);
        Assert.False(r.ReplyWithCount);
        Assert.Null(r.SortBy);
        Assert.Null(r.Fields);
    }
}
