import { json, type Router } from '../http.ts';
import { girderDate } from '../models.ts';

/** Internal: the Girder release this server answers as (the newest girder/girder tag it was checked against). */
export const GIRDER_RELEASE = '5.0.14';

/** Internal: /system/version (girder/api/v1/system.py `getVersion`). */
export function addSystemRoutes(router: Router, startedAt: Date): void {
  const serverStartDate = girderDate(startedAt);
  router.add({
    method: 'GET',
    segments: ['system', 'version'],
    access: 'public',
    scopes: [],
    // girder_client's uploadStreamToFolder / uploadFileToFolder call this before every upload.
    handler: () => json({ release: GIRDER_RELEASE, serverStartDate }),
  });
}
