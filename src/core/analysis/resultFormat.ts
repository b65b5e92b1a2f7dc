/**
 * The format tag of a result.json. Its own module, free of node imports, so that the report code the webviews
 * bundle can check a result file's tag without pulling in the runner's file system code.
 */
export const RESULT_FORMAT = 'ranklens-result/1';
