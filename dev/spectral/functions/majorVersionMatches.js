// The major version in each path's version segment (`/api/v1/...`) is the major version of
// info.version: `v1` with info.version 0.4.2 or 2.0.0 names a version the API is not.
const SEGMENT = /\/v(\d+)(?=\/|$)/;

export default function majorVersionMatches(document) {
  const version = document?.info?.version;
  const major = typeof version === "string" ? /^(\d+)\./.exec(version)?.[1] : undefined;
  if (major === undefined) return []; // not semver: /core/semver reports it
  const results = [];
  for (const path of Object.keys(document.paths ?? {})) {
    const inPath = SEGMENT.exec(path)?.[1];
    if (inPath !== undefined && Number(inPath) !== Number(major)) {
      results.push({
        message:
          `Path ${path} names major version ${inPath}; ` +
          `info.version ${version} is major ${major}.`,
        path: ["paths", path],
      });
    }
  }
  return results;
}
