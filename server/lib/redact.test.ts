import { describe, expect, it } from "vitest";
import { redactSecrets, splitCredentials } from "./redact";

describe("redactSecrets", () => {
  it.each([
    ["GET http://feeduser:S3cretSourcePw@host:8000/tracks?page=2&size=100 failed", "GET http://***@host:8000/tracks?page=2&size=100 failed"],
    ["https://tok3n@api.example/x", "https://***@api.example/x"],
    ["postgresql://encore:pw@db:5432/encore", "postgresql://***@db:5432/encore"],
    ["https://hooks.example/x?token=abc&channel=ops", "https://hooks.example/x?token=***&channel=ops"],
    ["http://h/?api_key=1&access_token=2&X-Amz-Signature=3&sig=4&page=5", "http://h/?api_key=***&access_token=***&X-Amz-Signature=***&sig=***&page=5"],
    ["no url here, just a user@example.test address", "no url here, just a user@example.test address"],
    ["http://host/a@b", "http://host/a@b"],
    // What a source may echo back in an error page.
    ["401: got Authorization: Basic ZmVlZHVzZXI6UzNjcmV0U291cmNlUHc= for /tracks", "401: got Authorization: Basic *** for /tracks"],
    [`{"detail":"invalid header","authorization":"Bearer eyJhbGciOi.eyJzdWIiOjF9.c2lnbmF0dXJl"}`, `{"detail":"invalid header","authorization":"Bearer ***"}`],
    ["bearer abc-123_XYZ~ was refused", "bearer *** was refused"],
    ["GET http://feeduser:p@ss@w0rd@host:8000/tracks failed", "GET http://***@host:8000/tracks failed"],
    ["http://h/x?apitoken=t1&session=s2&sessionid=s3&x-api-key=k4&page=2", "http://h/x?apitoken=***&session=***&sessionid=***&x-api-key=***&page=2"],
    ["Basic and Bearer are schemes", "Basic and Bearer are schemes"],
  ])("%s", (input, expected) => {
    expect(redactSecrets(input)).toBe(expected);
  });
});

describe("splitCredentials", () => {
  it("turns user and password into Basic, a token into Bearer, and leaves the URL clean", () => {
    expect(splitCredentials("http://feed%40user:S3cret%3Apw@host:8000/api/")).toEqual({
      url: "http://host:8000/api",
      authorization: `Basic ${Buffer.from("feed@user:S3cret:pw").toString("base64")}`,
    });
    expect(splitCredentials("https://host/api", "tok")).toEqual({ url: "https://host/api", authorization: "Bearer tok" });
    expect(splitCredentials("https://host")).toEqual({ url: "https://host", authorization: undefined });
  });
});
