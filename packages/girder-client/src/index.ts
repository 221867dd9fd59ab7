/** The npm name of this package. */
export const packageName: string = '@girder-worker/girder-client';
