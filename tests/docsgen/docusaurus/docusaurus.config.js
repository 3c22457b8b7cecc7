// A Docusaurus site of one API reference, as docusaurus-plugin-openapi-docs documents it:
// `docusaurus gen-api-docs all` writes one MDX page per operation from the spec named by
// DOCS_SPEC, and `docusaurus build` renders the site under /docs/. The generator-site test
// (host/extract/tests/extract/generators.rs) copies this folder into a site directory
// below tests/docsgen, so the packages resolve from tests/docsgen/node_modules.
const spec = process.env.DOCS_SPEC;
if (!spec) throw new Error("DOCS_SPEC names the OpenAPI file to document");

module.exports = {
  title: "API Reference",
  url: "http://127.0.0.1",
  baseUrl: "/docs/",
  onBrokenLinks: "warn",
  presets: [
    [
      "classic",
      {
        docs: {
          routeBasePath: "/",
          sidebarPath: require.resolve("./sidebars.js"),
          docItemComponent: "@theme/ApiItem",
        },
        blog: false,
      },
    ],
  ],
  plugins: [
    // webpack's module concatenation fails on the theme's CommonJS modules ("Cannot get
    // final name for export '__esModule'"); the pages are the same without it.
    () => ({
      name: "no-module-concatenation",
      configureWebpack: () => ({ optimization: { concatenateModules: false } }),
    }),
    [
      "docusaurus-plugin-openapi-docs",
      {
        id: "api",
        docsPluginId: "classic",
        config: {
          api: {
            specPath: spec,
            outputDir: "docs",
            sidebarOptions: { groupPathsBy: "tag" },
          },
        },
      },
    ],
  ],
  themes: ["docusaurus-theme-openapi-docs"],
};
