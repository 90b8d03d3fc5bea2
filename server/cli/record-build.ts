import { recordBuild } from "./build-stamp";

// `npm run build` (postbuild): stamps the build with its sources, so `npm start` does not build again.
await recordBuild();
